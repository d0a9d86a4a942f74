"""What the current grounding check would show for the drafts an earlier `eval --answers` run kept (no generation).

`python -m kb_assistant eval DATASET --answers --json F` keeps every question's draft and the passages it was
given. This script runs today's `GroundingCheck` on each of them, as the chain does (the question's words weighed
by their rarity in the same KB: the dataset's corpus without the same held-out 20%, built once under
``--kb-root``), and prints per report what users would read: gold answer contained and refusals on the
answerable questions, refusals of the hard and easy negatives. With ``--json`` it writes every record's outcome,
and with ``--before`` (such a file of an earlier code) it lists the records whose outcome changed.

    python benchmarks/recheck_drafts.py /tmp/cmrc.json /tmp/drcd.json --held-out-seed 7 --kb-root /tmp/recheck \\
        --json /tmp/after.json [--before /tmp/before.json]

A record the chain asked again in the other language, or one cut by the token limit in a report that does not say
so (reports before the ``finish`` field), is checked as its draft stands.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb_assistant.config import Settings
from kb_assistant.evaluation import answer_scores, doc_filename, load_dataset, write_corpus
from kb_assistant.qa.answer_text import without_unfinished_end
from kb_assistant.qa.grounding import GroundingCheck, Passage
from kb_assistant.qa.terms import KBRarity


def kb_rarity(folder: Path, seed: int, root: Path, settings: Settings, embeddings: Any) -> KBRarity:
    """The rarity of words in the KB the report's chain searched: ``folder``'s corpus without its held-out 20%."""
    from kb_assistant.answer_evaluation import held_out_documents
    from kb_assistant.ingestion import ingest
    from kb_assistant.retrieval import make_retriever

    home = root / f"{folder.name}-seed{seed}"
    kb_settings = settings.with_overrides(persist_dir=home / "store", kb="eval")
    if not (home / "built").exists():
        shutil.rmtree(home, ignore_errors=True)
        dataset = load_dataset(folder)
        write_corpus(dataset, home / "corpus")
        for doc_id in held_out_documents(dataset, seed=seed):
            (home / "corpus" / doc_filename(doc_id)).unlink(missing_ok=True)
        ingest([home / "corpus"], kb_settings, embeddings=embeddings)
        (home / "built").touch()
    return KBRarity(make_retriever(kb_settings, embeddings).term_frequencies)


def records_of(path: Path) -> list[dict[str, Any]]:
    """Every question's record of an ``eval --answers --json`` report."""
    report = json.loads(path.read_text(encoding="utf-8"))
    return [r for result in report["results"] for r in result.get("answers", [])]


def outcome(check: GroundingCheck, record: dict[str, Any]) -> dict[str, Any]:
    """The shown answer's status and text, and whether it holds a gold answer (answerable questions)."""
    if not record["passages"]:
        return {"status": "refused", "answer": "", "contains": 0.0}
    question = record.get("standalone", record["question"])
    draft = without_unfinished_end(record["draft"], cut=record.get("finish") == "length")
    verdict = check.check(question, draft, [Passage(p["text"], p["context"]) for p in record["passages"]])
    contains = answer_scores(verdict.answer, record["gold"])["contains"] if record["gold"] else 0.0
    return {"status": verdict.status, "answer": verdict.answer, "contains": contains}


def figures(rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """Gold contained and refusals per kind of question."""
    line: dict[str, Any] = {}
    for kind in ("answerable", "hard_negative", "easy_negative"):
        mine = [o for r, o in rows if r["kind"] == kind]
        if not mine:
            continue
        line[f"{kind}_refused"] = f"{sum(o['status'] == 'refused' for o in mine)}/{len(mine)}"
        if kind == "answerable":
            line["gold_contained"] = f"{sum(o['contains'] > 0 for o in mine)}/{len(mine)}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path, help="eval --answers --json reports")
    parser.add_argument("--eval-root", type=Path, default=Path("../shared/eval"), help="where the datasets are")
    parser.add_argument("--held-out-seed", type=int, default=7, help="the reports' --held-out-seed")
    parser.add_argument("--kb-root", type=Path, required=True, help="where the datasets' KBs are built once")
    parser.add_argument("--json", type=Path, help="write every record's outcome here")
    parser.add_argument("--before", type=Path, help="such a file of an earlier code: list what changed")
    args = parser.parse_args()

    from kb_assistant.embeddings import make_embeddings

    settings = Settings()
    embeddings = make_embeddings(settings)
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else {}
    out: dict[str, list[dict[str, Any]]] = {}
    for path in args.reports:
        records, dataset = records_of(path), json.loads(path.read_text(encoding="utf-8"))["dataset"]
        rarity = kb_rarity(args.eval_root / dataset, args.held_out_seed, args.kb_root, settings, embeddings)
        check = GroundingCheck(embeddings, rarity=rarity)
        rows = [(r, outcome(check, r)) for r in records]
        out[path.name] = [{"kind": r["kind"], "question": r["question"], **o} for r, o in rows]
        print(json.dumps({"report": path.name, **figures(rows)}, ensure_ascii=False), flush=True)
        for old, new in zip(before.get(path.name, []), out[path.name], strict=False):
            if (old["status"], old["contains"]) != (new["status"], new["contains"]):
                print(f"  {new['kind']}: {new['question']}\n    before {old['status']}: {old['answer'][:160]!r}"
                      f"\n    now    {new['status']}: {new['answer'][:160]!r}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
