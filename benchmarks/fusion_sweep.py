"""Compare ways of fusing the dense, BM25 and English rankings on queries the README's figures do not use.

The README's retrieval table uses ``eval --limit 200``: a fixed random sample of 200 queries of each tuning set.
This script takes *other* queries of the same tuning set (the complement of that sample), so a fusion rule is
chosen on queries the reported figures do not contain. It ingests the corpus once into a KB kept under
``--scratch`` (later runs re-use it: an unchanged re-ingest costs seconds), records each retriever's top 40
with scores per query (cached as JSON beside the KB; ``--fresh`` rebuilds both after a change to chunking,
models or retrievers, which the cache would otherwise hide), then scores every rule offline: weighted reciprocal
rank fusion, the retriever's convex fusion of min-max normalised scores, the same with z-scores, and CombMNZ.
Sets with no queries outside the sample (fewer than 200) can be run with ``--reported 0`` as a diagnosis,
not for choosing.

    python benchmarks/fusion_sweep.py ../shared/eval/cmrc2018_dev --scratch /tmp/sweep --queries 400
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from kb_assistant.config import Settings, apply_offline_env
from kb_assistant.embeddings import make_embeddings
from kb_assistant.evaluation import load_dataset, retrieval_metrics, write_corpus
from kb_assistant.ingestion import ingest
from kb_assistant.kb.english import is_english
from kb_assistant.retrieval import convex_fusion, make_retriever, weighted_lists

Hits = list[tuple[str, float]]  # (chunk id, score), best first


def _held_queries(folder: Path, reported: int, count: int) -> list[dict]:
    everything = load_dataset(folder)
    sample = {q["id"] for q in load_dataset(folder, reported).queries}
    rest = [q for q in everything.queries if q["id"] not in sample]
    return random.Random(1).sample(rest, min(count, len(rest)))


def _collect(folder: Path, scratch: Path, queries: list[dict], depth: int) -> tuple[list[dict], dict[str, str]]:
    settings = Settings().with_overrides(persist_dir=scratch / "store", kb="sweep")
    apply_offline_env(settings)
    dataset = load_dataset(folder)
    names = write_corpus(dataset, scratch / "corpus")
    embeddings = make_embeddings(settings)
    ingest([scratch / "corpus"], settings, embeddings=embeddings)
    retriever = make_retriever(settings.with_overrides(top_k=depth, fetch_k=depth), embeddings)
    got = retriever.kb.collection().get(include=["metadatas"])
    doc_of = {i: names[m["source"]] for i, m in zip(got["ids"], got["metadatas"], strict=True)}
    rows = []
    for query in queries:
        text = query["text"]
        dense = [(str(d.id), s) for d, s in retriever._dense(text)]
        lexical = retriever.kb.search_lexical(text, depth)
        english: Hits = []
        if retriever.english and is_english(text):
            english = retriever.kb.search_english(text, depth)
        rows.append({"id": query["id"], "dense": dense, "bm25": lexical, "english": english})
    return rows, doc_of


def rrf(k: int, weights: tuple[float, float, float]) -> Callable[[dict], list[str]]:
    """Reciprocal rank fusion, each list's votes times its weight (dense, BM25, English)."""

    def fuse(row: dict) -> list[str]:
        scores: dict[str, float] = {}
        for name, weight in zip(("dense", "bm25", "english"), weights, strict=True):
            for rank, (chunk, _) in enumerate(row[name], start=1):
                scores[chunk] = scores.get(chunk, 0.0) + weight / (k + rank)
        return sorted(scores, key=lambda c: -scores[c])

    return fuse


def _lists(row: dict, alpha: float) -> list[tuple[Hits, float]]:
    return weighted_lists([row["dense"], row["english"]], row["bm25"], alpha)


def convex(alpha: float) -> Callable[[dict], list[str]]:
    """The retriever's convex fusion: alpha for the dense side (split with the English index), 1 - alpha BM25."""

    def fuse(row: dict) -> list[str]:
        return [doc_id for doc_id, _ in convex_fusion(_lists(row, alpha))]

    return fuse


def zscore(alpha: float) -> Callable[[dict], list[str]]:
    """Like ``convex`` but each list's scores as z-scores (mean 0, deviation 1 over the list)."""

    def normalised(hits: Hits) -> Hits:
        if len(hits) < 2:
            return [(c, 1.0) for c, _ in hits]
        values = [s for _, s in hits]
        mean = sum(values) / len(values)
        spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 or 1.0
        return [(c, (s - mean) / spread) for c, s in hits]

    def fuse(row: dict) -> list[str]:
        scores: dict[str, float] = {}
        for raw, weight in _lists(row, alpha):
            hits = normalised(raw)
            floor = min((s for _, s in hits), default=0.0)
            for chunk, score in hits:  # a chunk missing from a list counts as that list's lowest
                scores[chunk] = scores.get(chunk, 0.0) + weight * (score - floor)
        return sorted(scores, key=lambda c: -scores[c])

    return fuse


def mnz(alpha: float) -> Callable[[dict], list[str]]:
    """CombMNZ (Fox and Shaw, 1994) on the convex weights: the weighted sum times the number of lists holding the chunk."""

    def fuse(row: dict) -> list[str]:
        lists = _lists(row, alpha)
        summed = dict(convex_fusion(lists))
        votes: dict[str, int] = {}
        for hits, _ in lists:
            for chunk, _ in hits:
                votes[chunk] = votes.get(chunk, 0) + 1
        return sorted(summed, key=lambda c: -summed[c] * votes[c])

    return fuse


def rules() -> dict[str, Callable[[dict], list[str]]]:
    found: dict[str, Callable[[dict], list[str]]] = {}
    for k in (10, 30, 60):
        for w in (0.5, 0.75, 1.0, 1.5, 2.0):
            found[f"rrf k={k} bm25={w}"] = rrf(k, (1.0, w, 1.0))
    for alpha in (0.3, 0.4, 0.5, 0.6, 0.7):
        found[f"convex a={alpha}"] = convex(alpha)
    for alpha in (0.4, 0.5, 0.6):
        found[f"zscore a={alpha}"] = zscore(alpha)
        found[f"mnz a={alpha}"] = mnz(alpha)
    found["dense only"] = rrf(60, (1.0, 0.0, 1.0))
    found["bm25 only"] = rrf(60, (0.0, 1.0, 0.0))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--scratch", type=Path, required=True, help="folder kept between runs for the KB")
    parser.add_argument("--queries", type=int, default=400, help="held queries to use")
    parser.add_argument("--reported", type=int, default=200, help="the README's --limit, whose sample is left out")
    parser.add_argument("--fresh", action="store_true",
                        help="rebuild the KB and the rankings (needed after changing chunking, models or retrievers)")
    args = parser.parse_args()
    queries = _held_queries(args.dataset, args.reported, args.queries)
    if not queries:
        sys.exit(f"{args.dataset.name}: every query is in the reported sample; nothing is held out")
    scratch = args.scratch / args.dataset.name
    if args.fresh:
        shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    cached = scratch / f"rankings-{args.reported}-{args.queries}.json"
    if cached.exists():  # the same queries over the same KB: skip the retrievers
        rows, doc_of = json.loads(cached.read_text(encoding="utf-8"))
    else:
        rows, doc_of = _collect(args.dataset, scratch, queries, depth=40)
        cached.write_text(json.dumps([rows, doc_of]), encoding="utf-8")
    qrels = load_dataset(args.dataset).qrels
    report = {}
    for name, fuse in rules().items():
        rankings = {}
        for row in rows:
            docs = list(dict.fromkeys(doc_of[c] for c in fuse(row) if c in doc_of))
            rankings[row["id"]] = docs[:10]
        metrics = retrieval_metrics(rankings, qrels)
        report[name] = {"recall@5": metrics["recall@5"], "ndcg@10": metrics["ndcg@10"]}
    json.dump({"dataset": args.dataset.name, "queries": len(rows), "rules": report}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
