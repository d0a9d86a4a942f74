"""Retrieval and answer evaluation over datasets laid out as corpus.jsonl / queries.jsonl / qrels.tsv.

Recipes, all measured in the same run on the same corpus:
  default  our pipeline (token-sized Chinese-aware chunks, multilingual-e5) with the configured retrieval
  dense    our chunks, dense retrieval only
  bm25     our chunks, BM25 (jieba) only
  naive    the tutorial way: RecursiveCharacterTextSplitter 500/150, all-MiniLM-L6-v2, dense top-k
"""

from __future__ import annotations

import functools
import json
import math
import random
import re
import string
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb_assistant.cjk import is_chinese
from kb_assistant.config import Settings
from kb_assistant.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.retrievers import BaseRetriever

RECIPES = ("default", "dense", "bm25", "naive")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class EvalDataset:
    """A corpus, its queries and graded relevance judgments."""

    name: str
    corpus: list[dict[str, Any]]
    queries: list[dict[str, Any]]
    qrels: dict[str, dict[str, int]]


@dataclass
class RecipeResult:
    """Metrics of one recipe on one dataset."""

    recipe: str
    metrics: dict[str, float] = field(default_factory=dict)
    ingest_seconds: float = 0.0
    chunks: int = 0
    failed_files: list[str] = field(default_factory=list)
    """Corpus documents the ingest could not index ("name: reason"): their queries cannot be answered."""
    answers: list[dict[str, Any]] = field(default_factory=list)
    """With ``--answers``: one record per question asked (see ``answer_evaluation``)."""


@dataclass(frozen=True)
class AnswerOptions:
    """What ``evaluate(..., answers=...)`` asks: the dataset folder, the easy negatives' folder, how many, in
    which dataset's words the questions are asked, how many of the seeded sample to pass over (``offset``) and the
    seed of the documents held out for the hard negatives."""

    folder: Path
    negatives: Path | None
    limit: int
    questions_from: Path | None = None
    offset: int = 0
    held_out_seed: int = 0


def load_dataset(folder: Path, limit: int | None = None, seed: int = 0, offset: int = 0) -> EvalDataset:
    """Read a dataset folder; ``limit`` keeps a fixed random sample of queries (with judgments), after the first
    ``offset`` of the seeded sample of ``offset + limit``: ``limit=100, offset=100`` is the second hundred, questions
    that a sample of 100 never showed."""
    needed = [folder / n for n in ("corpus.jsonl", "queries.jsonl", "qrels.tsv")]
    missing = [p.name for p in needed if not p.exists()]
    if missing:
        msg = f"{folder} is not an eval dataset: missing {', '.join(missing)}"
        raise ConfigError(msg)
    corpus = [json.loads(line) for line in needed[0].read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [json.loads(line) for line in needed[1].read_text(encoding="utf-8").splitlines() if line.strip()]
    qrels: dict[str, dict[str, int]] = {}
    for line in needed[2].read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3 and int(parts[2]) > 0:
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = [q for q in queries if q["id"] in qrels]
    if limit is not None:
        if limit + offset < len(queries):
            queries = random.Random(seed).sample(queries, limit + offset)
        queries = queries[offset : offset + limit]
    return EvalDataset(folder.name, corpus, queries, qrels)


def asked_as_in(dataset: EvalDataset, other: Path) -> EvalDataset:
    """``dataset`` with each question asked as ``other`` asks the question of the same id (xquad_en's English
    questions of xquad_zh's Chinese passages), gold answers of both kept; questions ``other`` lacks are left out."""
    theirs = {q["id"]: q for q in load_dataset(other).queries}
    queries = [{**q, "text": theirs[q["id"]]["text"],
                "answers": list(dict.fromkeys([*theirs[q["id"]].get("answers", []), *q.get("answers", [])]))}
               for q in dataset.queries if q["id"] in theirs]
    if not queries:
        msg = (f"{other} asks none of {dataset.name}'s questions (no query id in common); pass the same set in another "
               "language, as ../shared/eval/xquad_en is for xquad_zh")
        raise ConfigError(msg)
    return EvalDataset(dataset.name, dataset.corpus, queries, dataset.qrels)


def doc_filename(doc_id: str) -> str:
    """A file name for a corpus document (ids may hold characters file systems dislike)."""
    return _SAFE.sub("_", doc_id) + ".md"


def write_corpus(dataset: EvalDataset, folder: Path) -> dict[str, str]:
    """One Markdown file per document (title as heading); returns file name -> doc id."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for doc in dataset.corpus:
        name = doc_filename(str(doc["id"]))
        title = (doc.get("title") or "").strip()
        (folder / name).write_text(f"# {title}\n\n{doc['text']}\n" if title else f"{doc['text']}\n", encoding="utf-8")
        names[name] = str(doc["id"])
    return names


def retrieval_metrics(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Recall@1/5/10, MRR@10 and nDCG@10 (graded) over documents, averaged over queries."""
    totals = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    for qid, ranked in rankings.items():
        relevant = qrels[qid]
        for k in (1, 5, 10):
            totals[f"recall@{k}"] += len(set(ranked[:k]) & set(relevant)) / len(relevant)
        totals["mrr@10"] += next((1 / (i + 1) for i, d in enumerate(ranked[:10]) if d in relevant), 0.0)
        dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
        ideal = sorted(relevant.values(), reverse=True)[:10]
        idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        totals["ndcg@10"] += dcg / idcg if idcg else 0.0
    n = max(len(rankings), 1)
    return {k: round(v / n, 4) for k, v in totals.items()}


def _dedupe(ids: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for i in ids:
        seen.setdefault(i, None)
    return list(seen)


def _rank_all(dataset: EvalDataset, search: Callable[[str], list[str]]) -> tuple[dict[str, list[str]], float]:
    rankings, started = {}, time.perf_counter()
    for query in dataset.queries:
        rankings[query["id"]] = _dedupe(search(query["text"]))[:10]
    latency = (time.perf_counter() - started) / max(len(dataset.queries), 1)
    return rankings, latency


def _ours(
    dataset: EvalDataset,
    corpus_dir: Path,
    names: dict[str, str],
    settings: Settings,
    recipes: list[str],
    embeddings: Any,
    answers: AnswerOptions | None = None,
) -> list[RecipeResult]:
    from kb_assistant.ingestion import ingest
    from kb_assistant.retrieval import make_retriever

    started = time.perf_counter()
    report = ingest([corpus_dir], settings, embeddings=embeddings)
    ingest_seconds = time.perf_counter() - started
    results = []
    for recipe in recipes:
        mode = {"default": settings.retrieval_mode, "dense": "dense", "bm25": "bm25"}[recipe]
        retriever = make_retriever(settings.with_overrides(retrieval_mode=mode, top_k=40, fetch_k=max(settings.fetch_k, 40)), embeddings)
        rankings, latency = _rank_all(dataset, functools.partial(ranked_ids, retriever, names))
        metrics = retrieval_metrics(rankings, dataset.qrels) | {"latency_ms": round(latency * 1000, 1)}
        failed = [f"{o.source}: {o.reason}" for o in report.failed]
        results.append(RecipeResult(recipe, metrics, ingest_seconds, report.chunks_written, failed))
    if answers is not None:  # last: it prunes the held-out documents from the KB
        from kb_assistant.answer_evaluation import evaluate_answers

        full = load_dataset(answers.folder)
        if answers.questions_from is not None:  # the hard negatives are asked in that language too
            full = asked_as_in(full, answers.questions_from)
        found = evaluate_answers(dataset, full, corpus_dir, settings, embeddings, answers.negatives, answers.limit,
                                 offset=answers.offset, held_out_seed=answers.held_out_seed)
        target = next((r for r in results if r.recipe == "default"), results[0])
        target.metrics |= found["metrics"]
        target.answers = found["records"]
    return results


def _naive(dataset: EvalDataset, corpus_dir: Path, names: dict[str, str], workdir: Path, cache_dir: Path) -> RecipeResult:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from kb_assistant.packaged import resolve_packaged

    started = time.perf_counter()
    docs = [
        Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
        for p in sorted(corpus_dir.glob("*.md"))
    ]
    chunks = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=150).split_documents(docs)
    model = str(resolve_packaged("packaged:all-MiniLM-L6-v2", cache_dir))
    embeddings = HuggingFaceEmbeddings(model_name=model)
    store = Chroma.from_documents(chunks, embeddings, persist_directory=str(workdir / "naive"))
    ingest_seconds = time.perf_counter() - started
    rankings, latency = _rank_all(
        dataset, lambda q: [names[d.metadata["source"]] for d in store.similarity_search(q, k=40)]
    )
    metrics = retrieval_metrics(rankings, dataset.qrels) | {"latency_ms": round(latency * 1000, 1)}
    return RecipeResult("naive", metrics, ingest_seconds, len(chunks))


def evaluate(
    folder: Path,
    settings: Settings,
    recipes: list[str] | None = None,
    limit: int | None = None,
    embeddings: Any = None,
    workdir: Path | None = None,
    answers: bool = False,
    negatives: Path | None = None,
    questions_from: Path | None = None,
    offset: int = 0,
    held_out_seed: int = 0,
) -> dict[str, Any]:
    """Ingest the dataset's corpus into a scratch KB and measure each recipe; returns a JSON-able report.

    With ``answers``, the default recipe's answers are generated and scored too (``answer_evaluation``):
    answerable questions, hard negatives (20% of the corpus held out) and easy negatives (questions of the
    ``negatives`` dataset; by default another dataset beside this one in the language of its questions).
    ``questions_from`` asks each question as that dataset asks the one of the same id (``asked_as_in``).
    ``offset`` passes over the first queries of the seeded sample (:func:`load_dataset`), the easy negatives' too;
    ``held_out_seed`` picks another 20% of documents to hold out.
    """
    recipes = recipes or ["default"]
    unknown = [r for r in recipes if r not in RECIPES]
    if unknown:
        msg = f"unknown recipe {unknown[0]!r}; choose from {', '.join(RECIPES)}"
        raise ConfigError(msg)
    dataset = load_dataset(folder, limit, offset=offset)
    if questions_from is not None:
        dataset = asked_as_in(dataset, questions_from)
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        root = Path(scratch)
        corpus_dir = root / "corpus"
        names = write_corpus(dataset, corpus_dir)
        scratch_settings = settings.with_overrides(persist_dir=root / "store", kb="eval")
        results: list[RecipeResult] = []
        if "naive" in recipes:  # first: the answer evaluation takes documents out of the corpus folder
            results.append(_naive(dataset, corpus_dir, names, root, settings.cache_dir))
        ours = [r for r in recipes if r != "naive"]
        options = None
        if ours:
            if embeddings is None:
                from kb_assistant.embeddings import make_embeddings

                embeddings = make_embeddings(scratch_settings)
            if answers:
                from kb_assistant.answer_evaluation import negatives_for

                options = AnswerOptions(folder, negatives or negatives_for(questions_from or folder),
                                        limit or len(dataset.queries), questions_from, offset, held_out_seed)
            results += _ours(dataset, corpus_dir, names, scratch_settings, ours, embeddings, options)
    results.sort(key=lambda r: recipes.index(r.recipe))
    return {
        "dataset": dataset.name,
        "documents": len(dataset.corpus),
        "queries": len(dataset.queries),
        "negatives": str(options.negatives) if options and options.negatives else None,
        "results": [r.__dict__ for r in results],
    }


def ranked_ids(retriever: BaseRetriever, names: dict[str, str], query: str) -> list[str]:
    """The corpus ids of the retrieved chunks' files, best first (a passage's copies right after it: each takes a
    place in the ranking, as the file it names)."""
    return [names.get(source, source) for d in retriever.invoke(query)
            for source in (d.metadata["source"], *d.metadata.get("copies", ()))]


def _normalise_answer(text: str) -> str:
    """Lower case, no citation marks, no punctuation of any script (an en dash in "23–16" is the hyphen of "23-16",
    "「」" are "“”"), single spaces; as SQuAD's and CMRC's scripts normalise, over all of Unicode's punctuation."""
    text = re.sub(r"\[\d+\]", " ", unicodedata.normalize("NFKC", text)).lower().strip()  # citation marks: no digits
    text = "".join(ch for ch in text if ch not in string.punctuation and not unicodedata.category(ch).startswith("P"))
    return " ".join(text.split())


def answer_scores(prediction: str, answers: list[str]) -> dict[str, float]:
    """Exact match, token F1 (characters for Chinese) and gold-answer containment, best over answers."""
    pred = _normalise_answer(prediction)
    best = {"exact_match": 0.0, "f1": 0.0, "contains": 0.0}
    for answer in answers:
        gold = _normalise_answer(answer)
        if not gold:
            continue
        cjk = is_chinese(gold)
        # spaces in Chinese text are layout ("1885 年" is "1885年"): compared without them
        predicted, gold = (pred.replace(" ", ""), gold.replace(" ", "")) if cjk else (pred, gold)
        p_tokens = list(predicted) if cjk else predicted.split()
        g_tokens = list(gold) if cjk else gold.split()
        common = sum(min(p_tokens.count(t), g_tokens.count(t)) for t in set(g_tokens))
        f1 = 0.0 if common == 0 else 2 * common / (len(p_tokens) + len(g_tokens))
        best["exact_match"] = max(best["exact_match"], float(predicted == gold))
        best["f1"] = max(best["f1"], f1)
        best["contains"] = max(best["contains"], float(gold in predicted))
    return best
