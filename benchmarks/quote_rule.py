"""What the grounding check's quote rule does to the answers users read, on kept drafts (no generation).

`python -m kb_assistant eval DATASET --answers --json F` keeps every question's draft and the passages it was given.
Here the check is re-run on those drafts three ways: without the rule (``min_quote_gain=None``), with the question's
terms alone deciding (any similarity gain), and as shipped (terms and the embedding model's similarity both), and
for each it prints what users would get: gold answer contained and wrong refusals on the answerable questions,
refusals of hard and easy negatives, and which answers the rule replaced by a quote.

    python benchmarks/quote_rule.py /tmp/xquad_zh.json /tmp/cmrc2018_dev.json /tmp/drcd_dev.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import recheck_drafts  # the script beside this one

from kb_assistant.qa.grounding import GroundingCheck

records_of = recheck_drafts.records_of


def outcome(check: GroundingCheck, record: dict[str, Any]) -> tuple[str, str, float]:
    """The verified answer's status and text, and whether it holds a gold answer (answerable questions)."""
    checked = recheck_drafts.outcome(check, record)
    return checked["status"], checked["answer"], checked["contains"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path, help="eval --answers --json reports")
    args = parser.parse_args()

    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings

    embeddings = make_embeddings(Settings())
    checks = {
        "off": GroundingCheck(embeddings, min_quote_gain=None),
        "terms only": GroundingCheck(embeddings, min_quote_similarity_gain=float("-inf")),
        "shipped": GroundingCheck(embeddings),
    }
    for path in args.reports:
        records = records_of(path)
        before = [outcome(checks["off"], r) for r in records]
        for name, check in checks.items():
            after = before if name == "off" else [outcome(check, r) for r in records]
            line = {}
            for kind in ("answerable", "hard_negative", "easy_negative"):
                rows = [(r, a) for r, a in zip(records, after, strict=True) if r["kind"] == kind]
                if rows:
                    line[f"{kind}_refused"] = round(sum(a[0] == "refused" for _, a in rows) / len(rows), 3)
            answerable = [(b, a) for r, b, a in zip(records, before, after, strict=True) if r["kind"] == "answerable"]
            line["answerable_contains"] = round(sum(a[2] for _, a in answerable) / max(len(answerable), 1), 3)
            replaced = [(b, a) for b, a in answerable if a[1] != b[1] and b[0] == "answered"]
            line["replaced"] = len(replaced)
            line["replaced_contain_now"] = sum(a[2] for _, a in replaced)
            line["replaced_contained_before"] = sum(b[2] for b, _ in replaced)
            print(json.dumps({"report": path.name, "rule": name, **line}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
