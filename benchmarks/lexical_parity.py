"""Rankings of the tantivy lexical index against the old in-memory BM25Index, on every ``../shared/eval`` set.

Both index the same passages (each corpus document as one chunk) with the same tokens; the figures are
Recall@5 and nDCG@10 of BM25 alone, so only the index differs. ``eval --recipe default,bm25`` measures the
whole pipeline.

    python benchmarks/lexical_parity.py --limit 200
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
from pathlib import Path

from kb_assistant.kb.lexical import Chunk, LexicalIndex
from kb_assistant.kb.reference_bm25 import BM25Index
from kb_assistant.kb.tokens import tokenize

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"


def scores(ranked: list[str], gold: set[str]) -> tuple[float, float]:
    recall = len(gold & set(ranked[:5])) / len(gold)
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), 10)))
    return recall, dcg / ideal


def one_set(folder: Path, limit: int, work: Path) -> dict[str, float | int | str]:
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    queries = {q["id"]: q["text"] for q in map(json.loads, (folder / "queries.jsonl").open(encoding="utf-8"))}
    gold: dict[str, set[str]] = {}
    for line in list((folder / "qrels.tsv").open(encoding="utf-8"))[1:]:
        qid, doc_id, relevance = line.rstrip("\n").split("\t")
        if float(relevance) > 0:
            gold.setdefault(qid, set()).add(doc_id)
    asked = sorted(q for q in gold if q in queries)
    random.Random(0).shuffle(asked)
    asked = asked[:limit]
    old = BM25Index()
    new = LexicalIndex(work / folder.name)
    chunks = []
    for doc in corpus:
        tokens = tokenize(doc["text"])
        old.add_tokens(doc["id"], tokens)
        chunks.append(Chunk(doc["id"], "", doc["id"], doc["id"], tuple(tokens)))
    new.write(add=chunks)
    totals = {"old": [0.0, 0.0], "new": [0.0, 0.0]}
    for qid in asked:
        for name, index in (("old", old), ("new", new)):
            r, n = scores([d for d, _ in index.search(queries[qid], 10)], gold[qid])
            totals[name][0] += r
            totals[name][1] += n
    k = len(asked)
    return {"set": folder.name, "queries": k,
            "old_r5": round(totals["old"][0] / k, 3), "new_r5": round(totals["new"][0] / k, 3),
            "old_ndcg10": round(totals["old"][1] / k, 3), "new_ndcg10": round(totals["new"][1] / k, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    print("| set | queries | old R@5 | new R@5 | old nDCG@10 | new nDCG@10 |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for folder in sorted(p.parent for p in SHARED.glob("*/corpus.jsonl")):
            row = one_set(folder, args.limit, Path(tmp))
            print(f"| {row['set']} | {row['queries']} | {row['old_r5']} | {row['new_r5']} | {row['old_ndcg10']} | {row['new_ndcg10']} |", flush=True)


if __name__ == "__main__":
    main()
