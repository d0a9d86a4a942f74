"""Choose the grounding check's relevance rules on kept answers, without generating anything again.

`python -m kb_assistant eval DATASET --answers --json F` keeps, for every question, the model's draft and the
passages it was given. For each draft this script runs the check with the relevance gate open, and measures,
for every sentence the sources support, how much it is about the question, three ways:

- ``lexical``: the share of the question's terms found around the evidence, weighted by general IDF
  (``min_relevance``);
- ``semantic``: the embedding model's query-passage similarity of the question and the evidence window
  (``min_semantic_relevance``).

Then, for a grid of both thresholds (a sentence must reach both), it prints what users would get: gold answer
contained and wrong refusals on the answerable questions, refusals of hard and easy negatives.

    python benchmarks/grounding_sweep.py /tmp/xquad_zh.json /tmp/cmrc2018_dev.json
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

from kb_assistant.evaluation import answer_scores
from kb_assistant.qa.answer_text import is_refusal
from kb_assistant.qa.grounding import GroundingCheck, Passage
from kb_assistant.qa.prompts import language_of


def records_of(path: Path) -> list[dict[str, Any]]:
    report = json.loads(path.read_text(encoding="utf-8"))
    return [r for result in report["results"] for r in result.get("answers", []) if r["passages"]]


def features(check: GroundingCheck, embeddings: Any, record: dict[str, Any]) -> dict[str, Any]:
    """The draft's supported sentences with their three relevance figures, and the best quote."""
    question = record.get("standalone", record["question"])
    passages = [Passage(p["text"], p["context"]) for p in record["passages"]]
    verdict = check.check(question, record["draft"], passages)
    query = np.asarray(embeddings.embed_query(question)) if embeddings is not None else None
    claims = []
    for claim in verdict.claims:
        if not claim.kept:
            continue
        semantic = float(np.dot(query, embeddings.embed_documents([claim.window])[0])) if query is not None else 0.0
        claims.append({
            "text": claim.text, "lexical": claim.relevance,
            "semantic": semantic, "contains": answer_scores(claim.text, record["gold"])["contains"] if record["gold"] else 0.0,
        })
    quote = check.best_quote(question, passages)
    return {
        "kind": record["kind"], "claims": claims, "refusal": is_refusal(record["draft"]),
        "enough": check.lexical_relevance_enough_en if language_of(question) == "en" else check.lexical_relevance_enough,
        "quote": quote[1] if quote else 0.0,
        "quote_contains": answer_scores(quote[0].text, record["gold"])["contains"] if quote and record["gold"] else 0.0,
    }


def outcome(row: dict[str, Any], lexical: float, semantic: float, quote_threshold: float) -> tuple[str, float]:
    # as GroundingCheck: evidence with most of the question's informative words (its language's share) needs no
    # similarity test
    kept = [c for c in row["claims"] if c["lexical"] >= lexical and (c["semantic"] >= semantic or c["lexical"] >= row["enough"])]
    if kept:
        return "answered", max(c["contains"] for c in kept)
    if row["quote"] >= quote_threshold and not row["refusal"]:
        return "extractive", row["quote_contains"]
    return "refused", 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path, help="eval --answers --json outputs")
    args = parser.parse_args()
    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings

    embeddings = make_embeddings(Settings())
    check = GroundingCheck(embeddings, min_relevance=0.0, min_semantic_relevance=0.0)
    data = {path.stem: [features(check, embeddings, r) for r in records_of(path)] for path in args.reports}
    for name, rows in data.items():
        answerable = [r for r in rows if r["kind"] == "answerable"]
        print(json.dumps({name: {
            "draft_supported": round(sum(bool(r["claims"]) for r in answerable) / len(answerable), 3),
            "quote_contains": round(sum(r["quote_contains"] for r in answerable) / len(answerable), 3),
            "claim_contains": round(sum(max([c["contains"] for c in r["claims"]], default=0) for r in answerable) / len(answerable), 3),
        }}))
    grid = itertools.product((0.0, 0.2, 0.3, 0.4, 0.5), (0.0, 0.86, 0.87, 0.88, 0.89, 0.90), (0.6, 0.8, 1.01))
    # the defaults (min_relevance 0.3, min_semantic_relevance 0.87, min_quote_relevance 0.6) are one row
    for lexical, semantic, quote_threshold in grid:
        row: dict[str, Any] = {"min_relevance": lexical, "min_semantic_relevance": semantic, "min_quote_relevance": quote_threshold}
        for name, rows in data.items():
            figures: dict[str, list[float]] = {}
            for r in rows:
                status, contains = outcome(r, lexical, semantic, quote_threshold)
                figures.setdefault(f"{r['kind']}_refused", []).append(float(status == "refused"))
                if r["kind"] == "answerable":
                    figures.setdefault("contains", []).append(contains)
            row[name] = {k: round(sum(v) / len(v), 3) for k, v in figures.items()}
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
