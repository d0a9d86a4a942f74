"""Plain sentence-transformers folders run with transformers alone give sentence-transformers' own vectors; other
folders still load with sentence-transformers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kb_assistant.config import Settings
from kb_assistant.embeddings import LocalEmbeddings, resolve_model_path
from kb_assistant.sentence_encoder import SentenceEncoder, plain_layout

TEXTS = ["query: 默认端口是多少？", "passage: kb-assistant 的 HTTP 服务默认监听 6006 端口。" * 3, "hello",
         "The HTTP server listens on port 6006 by default. " * 80, ""]


@pytest.mark.parametrize("model", ["packaged:multilingual-e5-small", "packaged:all-MiniLM-L6-v2"])
def test_vectors_are_sentence_transformers_own(model: str) -> None:
    from sentence_transformers import SentenceTransformer

    folder = resolve_model_path(model, Settings().cache_dir, offline=True, kind="embedding")
    layout = plain_layout(folder)
    assert layout is not None and layout.pooling == "mean" and layout.normalize
    ours = SentenceEncoder(folder, layout)
    reference = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    got = ours.encode(TEXTS, batch_size=2, normalize_embeddings=True)
    want = reference.encode(TEXTS, batch_size=2, normalize_embeddings=True, convert_to_numpy=True)
    assert got.shape == want.shape
    assert float(np.abs(got - want).max()) < 1e-5  # the long text truncated at the same token
    assert ours.max_seq_length == reference.max_seq_length
    assert {k: v for k, v in ours.prompts.items() if v} == {k: v for k, v in (reference.prompts or {}).items() if v}


def test_other_folders_load_with_sentence_transformers(tmp_path: Path) -> None:
    folder = resolve_model_path("packaged:all-MiniLM-L6-v2", Settings().cache_dir, offline=True, kind="embedding")
    copy = tmp_path / "cls-model"
    shutil.copytree(folder, copy)
    pooling = copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": True}))
    assert plain_layout(copy) is None
    embeddings = LocalEmbeddings(copy, precision="float32")
    assert type(embeddings.model).__name__ == "SentenceTransformer"
    assert len(embeddings.embed_query("max pooling still works")) == 384


@pytest.mark.parametrize("model", ["packaged:multilingual-e5-small", "packaged:all-MiniLM-L6-v2"])
def test_fast_tokenizer_gives_what_the_hugging_face_tokenizer_gives(model: str) -> None:
    folder = resolve_model_path(model, Settings().cache_dir, offline=True, kind="embedding")
    ours = SentenceEncoder(folder, plain_layout(folder))  # type: ignore[arg-type]
    assert ours.fast is not None and ours._tokenizer is None  # nothing loaded the Hugging Face one
    features = ours.tokenize(TEXTS)
    hf = ours.tokenizer(TEXTS, padding=True, truncation=True, max_length=ours.max_seq_length, return_tensors="pt")
    assert features["input_ids"].tolist() == hf["input_ids"].tolist()  # the long text cut at the same token
    assert features["attention_mask"].tolist() == hf["attention_mask"].tolist()
    offsets = ours.tokenizer(TEXTS, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    assert ours.offsets(TEXTS) == [list(map(tuple, o)) for o in offsets]
    assert ours.special_tokens() == ours.tokenizer.num_special_tokens_to_add(pair=False)


def test_usage_counts_what_the_model_is_given() -> None:
    folder = resolve_model_path("packaged:multilingual-e5-small", Settings().cache_dir, offline=True, kind="embedding")
    embeddings = LocalEmbeddings(folder, precision="float32")
    texts = ["知识库", "knowledge base", "The HTTP server listens on port 6006 by default."]
    assert embeddings.count_tokens(texts) == sum(len(embeddings.tokenizer(t)["input_ids"]) for t in texts)
