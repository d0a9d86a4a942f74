"""Answers to questions about several things: does what the user reads hold every part?

rgb_zh_int's questions ask two or three things each ("2021年香港和澳门的GDP增长率"), and its queries carry
``answer_groups``: every part of the answer with its accepted forms. The corpus goes into a scratch KB, each
question is asked of the default QA chain (the packaged chat model, 128 new tokens as in ``eval --answers``), and
for the model's draft and for the verified answer it reports:
- *every part* = the text holds an accepted form of every part; *parts* = the share of parts held, averaged;
- *every part in the passages* = the passages the model was given hold every part (the most an answer can do);
- refusals and extractive (quoted) answers.

Every question's draft and passages are kept in ``--json``, in ``eval --answers``'s record format, so that
``--recheck F`` re-runs the grounding check as it is now on the same drafts without generating again (the drafts
do not depend on the check).

    python benchmarks/multipart_answers.py ../shared/eval/rgb_zh_int --json build/multipart.json
    python benchmarks/multipart_answers.py --recheck build/multipart.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parts_held(text: str, groups: list[list[str]]) -> list[bool]:
    """For each part of the answer, whether ``text`` holds one of its accepted forms (spaces and case aside)."""
    plain = "".join(text.split()).lower()
    return [any("".join(alt.split()).lower() in plain for alt in group if alt.strip()) for group in groups]


def generate(folder: Path, limit: int | None, work: Path) -> list[dict[str, Any]]:
    """Ingest ``folder``'s corpus, ask its questions that carry answer parts, and keep one record each."""
    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings
    from kb_assistant.evaluation import load_dataset, write_corpus
    from kb_assistant.ingestion import ingest
    from kb_assistant.llms.served import make_chat_model
    from kb_assistant.qa import qa_chain_for, source_label
    from kb_assistant.retrieval import make_retriever

    dataset = load_dataset(folder, limit)
    names = write_corpus(dataset, work / "corpus")
    settings = Settings.defaults().with_overrides(persist_dir=work / "store", kb="multipart")
    embeddings = make_embeddings(settings)
    ingest([work / "corpus"], settings, embeddings=embeddings)
    llm = make_chat_model(settings, max_new_tokens=min(settings.max_new_tokens, 128))
    chain = qa_chain_for(make_retriever(settings, embeddings), llm, settings)
    records = []
    for query in dataset.queries:
        if not query.get("answer_groups"):
            continue
        started = time.perf_counter()
        result = chain.invoke(query["text"])
        records.append({
            "kind": "answerable", "id": query["id"], "question": query["text"],
            "standalone": result.get("standalone_question", query["text"]), "gold": query.get("answers") or [],
            "groups": query["answer_groups"], "draft": result["raw_answer"], "answer": result["answer"],
            "status": result["status"], "seconds": round(time.perf_counter() - started, 2),
            "passages": [{"source": names.get(d.metadata.get("source", ""), ""), "context": source_label(d.metadata),
                          "text": d.page_content} for d in result.get("source_documents", [])],
        })
        print(json.dumps({k: records[-1][k] for k in ("question", "draft", "answer", "status", "seconds")},
                         ensure_ascii=False), flush=True)
    return records


def recheck(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with ``answer`` and ``status`` from the grounding check as it is now."""
    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings
    from kb_assistant.qa.grounding import GroundingCheck, Passage

    check = GroundingCheck(make_embeddings(Settings.defaults()))
    out = []
    for record in records:
        passages = [Passage(p["text"], p["context"]) for p in record["passages"]]
        verdict = check.check(record["standalone"], record["draft"], passages) if passages else None
        answer, status = (verdict.answer, verdict.status) if verdict else (record["answer"], "refused")
        out.append({**record, "answer": answer, "status": status})
    return out


def summary(records: list[dict[str, Any]]) -> dict[str, float]:
    n = len(records)
    row: dict[str, float] = {"questions": n}
    for field in ("draft", "answer"):
        held = [parts_held(r[field], r["groups"]) for r in records]
        row[f"{field}_every_part"] = round(sum(all(h) for h in held) / n, 3)
        row[f"{field}_parts"] = round(sum(sum(h) / len(h) for h in held) / n, 3)
    passages = [parts_held("\n".join(p["text"] for p in r["passages"]), r["groups"]) for r in records]
    row["passages_every_part"] = round(sum(all(h) for h in passages) / n, 3)
    for status in ("refused", "extractive"):
        row[status] = round(sum(r["status"] == status for r in records) / n, 3)
    row["seconds_per_question"] = round(sum(r.get("seconds", 0.0) for r in records) / n, 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="*")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None, help="keep every record here")
    parser.add_argument("--recheck", type=Path, default=None, help="re-run the check on a --json file's drafts")
    args = parser.parse_args()
    if args.recheck:
        before = json.loads(args.recheck.read_text(encoding="utf-8"))
        after = recheck(before)
        print("kept:", json.dumps(summary(before)))
        print("now: ", json.dumps(summary(after)))
        for old, new in zip(before, after, strict=True):
            if old["answer"] != new["answer"]:
                print(json.dumps({"question": old["question"], "before": old["answer"], "now": new["answer"]},
                                 ensure_ascii=False))
        return
    records = []
    for folder in args.datasets:
        with tempfile.TemporaryDirectory() as work:
            records += generate(folder, args.limit, Path(work))
    print(json.dumps(summary(records)))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(records, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
