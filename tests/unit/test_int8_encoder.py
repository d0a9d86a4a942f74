"""The int8 CPU path of the default embedding model: same retrieval as float32, clear fallbacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kb_assistant import int8_encoder
from kb_assistant.config import Settings
from kb_assistant.embeddings import make_embeddings
from kb_assistant.errors import ConfigError
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def float32() -> Any:
    return make_embeddings(Settings(embedding_precision="float32", embedding_device="cpu"))


@pytest.fixture(scope="module")
def int8() -> Any:
    embeddings = make_embeddings(Settings(embedding_precision="auto", embedding_device="cpu"))
    if embeddings.precision != "int8":
        pytest.skip("no int8 kernels on this machine")
    return embeddings


def _read_jsonl(path: Path, limit: int) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(limit), handle, strict=False)]


def _recall_at_5(embeddings: Any, corpus: list[dict[str, Any]], queries: list[dict[str, Any]],
                 qrels: dict[str, set[str]]) -> tuple[float, np.ndarray]:
    """Recall@5 of ``queries`` over ``corpus``, and the corpus's vectors."""
    docs = np.array(embeddings.embed_documents([d["text"] for d in corpus]))
    ids = [d["id"] for d in corpus]
    hits = []
    for query in queries:
        scores = docs @ np.array(embeddings.embed_query(query["text"]))
        top = {ids[i] for i in np.argsort(-scores)[:5]}
        hits.append(bool(top & qrels[query["id"]]))
    return float(np.mean(hits)), docs


@pytest.mark.parametrize(("dataset", "size"), [("xquad_zh", 100), ("xquad_en", 60)])
def test_int8_retrieves_as_well_as_float32(float32: Any, int8: Any, dataset: str, size: int) -> None:
    folder = shared_path("eval", dataset)
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        query_id, doc_id = line.split("\t")[:2]
        qrels.setdefault(query_id, set()).add(doc_id)
    queries = [q for q in _read_jsonl(folder / "queries.jsonl", 100_000) if q["id"] in qrels][:40]
    relevant = set().union(*(qrels[q["id"]] for q in queries))
    everything = _read_jsonl(folder / "corpus.jsonl", 100_000)
    corpus = [d for d in everything if d["id"] in relevant]
    corpus += [d for d in everything if d["id"] not in relevant][: size - len(corpus)]  # distractors
    reference, a = _recall_at_5(float32, corpus, queries, qrels)
    got, b = _recall_at_5(int8, corpus, queries, qrels)
    assert got >= reference - 0.026, (got, reference)  # one query of 40 at most
    assert np.min(np.sum(a * b, axis=1)) > 0.99


def test_int8_keeps_dimension_and_normalisation(int8: Any) -> None:
    vectors = np.array(int8.embed_documents(["短文本", "A much longer English passage. " * 40, "混合 mixed 文本。"]))
    assert vectors.shape == (3, int8.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_drifting_int8_falls_back_or_fails_clearly(monkeypatch: pytest.MonkeyPatch, int8: Any) -> None:
    monkeypatch.setattr(int8_encoder, "_MIN_COSINE", 1.01)  # no int8 result can pass the self-check now
    fallback = make_embeddings(Settings(embedding_precision="auto", embedding_device="cpu"))
    assert fallback.precision == "float32"
    with pytest.raises(ConfigError, match="int8 vectors drift .* use auto or float32"):
        make_embeddings(Settings(embedding_precision="int8", embedding_device="cpu"))


def test_int8_is_refused_on_a_gpu_setting() -> None:
    from kb_assistant.embeddings import LocalEmbeddings

    embeddings = LocalEmbeddings.__new__(LocalEmbeddings)  # no GPU here: only the setting check
    embeddings.device = "cuda"
    with pytest.raises(ConfigError, match="int8 is for CPUs"):
        embeddings._set_precision("int8")


def test_a_question_gets_the_same_vector_whatever_was_embedded_before_it() -> None:
    """int8 was set up at the first batch of 32 texts: the questions before it got float32 vectors, those after
    it int8 ones, so the same question found other chunks once an answer's sentences had been checked (round 11's
    "How many GitHub stars does Streamlit have?" was refused, then answered with a quote)."""
    embeddings = make_embeddings(Settings(embedding_precision="auto", embedding_device="cpu"))
    question = "How many GitHub stars does Streamlit have?"
    first = embeddings.embed_query(question)
    embeddings.embed_documents([f"第 {i} 句：Streamlit 是一个用于快速创建数据应用程序的开源 Python 库。" for i in range(40)])
    assert embeddings.embed_query(question) == first
