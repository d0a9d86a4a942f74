"""Choose the grounding check's relevance rules on kept answers, without generating anything again.

`python -m kb_assistant eval DATASET --answers --json F` keeps, for every question, the model's draft and the
passages it was given. For each draft this script runs the check with the relevance gate open, and measures,
for every sentence the sources support, how much it is about the question, three ways:

- ``local``: the question's terms found around the evidence, weighted by general IDF times their rarity among
  the given passages (the check's lexical rule);
- ``general``: the same, weighted by general IDF only;
- ``semantic``: the embedding model's query-passage similarity of the question and the evidence window.

Then, for a grid of thresholds, it prints what users would get: gold answer contained and wrong refusals on
the answerable questions, refusals of hard and easy negatives.

    python benchmarks/grounding_sweep.py /tmp/xquad_zh.json /tmp/cmrc2018_dev.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from kb_assistant.evaluation import answer_scores
from kb_assistant.qa.grounding import GroundingCheck, Passage, is_refusal
from kb_assistant.qa.terms import TermIndex, claimed_terms, coverage, general_idf


def records_of(path: Path) -> list[dict[str, Any]]:
    report = json.loads(path.read_text(encoding="utf-8"))
    return [r for result in report["results"] for r in result.get("answers", []) if r["passages"]]


def features(check: GroundingCheck, embeddings: Any, record: dict[str, Any]) -> dict[str, Any]:
    """The draft's supported sentences with their three relevance figures, and the best quote."""
    question = record.get("standalone", record["question"])
    passages = [Passage(p["text"], p["context"]) for p in record["passages"]]
    verdict = check.check(question, record["draft"], passages)
    asked = claimed_terms(question)
    general = [t.__class__(t.text, t.kind, t.strict, general_idf(t)) for t in asked]
    query = np.asarray(embeddings.embed_query(question)) if embeddings is not None else None
    claims = []
    for claim in verdict.claims:
        if not claim.kept:
            continue
        semantic = float(np.dot(query, embeddings.embed_documents([claim.window])[0])) if query is not None else 0.0
        claims.append({
            "text": claim.text, "local": claim.relevance, "general": coverage(general, TermIndex.of(claim.window)),
            "semantic": semantic, "contains": answer_scores(claim.text, record["gold"])["contains"] if record["gold"] else 0.0,
        })
    quote = check.best_quote(question, passages)
    return {
        "kind": record["kind"], "claims": claims, "refusal": is_refusal(record["draft"]),
        "quote": quote[1] if quote else 0.0,
        "quote_contains": answer_scores(quote[0].text, record["gold"])["contains"] if quote and record["gold"] else 0.0,
    }


def outcome(row: dict[str, Any], rule: str, threshold: float, quote_threshold: float) -> tuple[str, float]:
    kept = [c for c in row["claims"] if c[rule] >= threshold]
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
    check = GroundingCheck(embeddings, min_relevance=0.0)
    data = {path.stem: [features(check, embeddings, r) for r in records_of(path)] for path in args.reports}
    grid = {"local": (0.2, 0.3, 0.4, 0.5), "general": (0.3, 0.4, 0.5, 0.6), "semantic": (0.80, 0.82, 0.84, 0.86, 0.88)}
    for rule, thresholds in grid.items():
        for threshold in thresholds:
            for quote_threshold in (0.6, 0.7, 0.8, 1.01):
                row: dict[str, Any] = {"rule": rule, "threshold": threshold, "quote": quote_threshold}
                for name, rows in data.items():
                    figures: dict[str, list[float]] = {}
                    for r in rows:
                        status, contains = outcome(r, rule, threshold, quote_threshold)
                        figures.setdefault(f"{r['kind']}_refused", []).append(float(status == "refused"))
                        if r["kind"] == "answerable":
                            figures.setdefault("contains", []).append(contains)
                    row[name] = {k: round(sum(v) / len(v), 3) for k, v in figures.items()}
                print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
