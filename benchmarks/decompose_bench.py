"""Questions about several things: retrieval with and without splitting them into parts, in the same run.

For each dataset of ../shared/eval given, its corpus is ingested once into a scratch KB, then every query is
asked of the default hybrid retriever with ``decompose_questions`` off and on:
- how many questions the rules split;
- Recall@5 and nDCG@10 over documents (the eval command's metrics, over the top 10 chunks' documents);
- where queries carry ``answer_groups`` (rgb_zh_int: every part of the answer, each with its alternatives):
  *all parts covered* = the top 5 chunks hold an alternative of every part; *parts covered* = the share of
  parts held, averaged; the same with the top 3 chunks (what the QA chain gives the model by default);
- the retrieval time per question.

    python benchmarks/decompose_bench.py ../shared/eval/rgb_zh_int ../shared/eval/rgb_zh ../shared/eval/xquad_zh \\
        --limit 200 --json build/decompose.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any


def coverage(texts: list[str], groups: list[list[str]]) -> tuple[bool, float]:
    held = [any(alt in text for text in texts for alt in group) for group in groups]
    return all(held), sum(held) / len(held)


def measure(folder: Path, limit: int | None, embeddings: Any, work: Path) -> dict[str, Any]:
    from kb_assistant.config import Settings
    from kb_assistant.evaluation import load_dataset, retrieval_metrics, write_corpus
    from kb_assistant.ingestion import ingest
    from kb_assistant.question_parts import question_parts
    from kb_assistant.retrieval import make_retriever

    dataset = load_dataset(folder, limit)
    names = write_corpus(dataset, work / "corpus")
    settings = Settings.defaults().with_overrides(persist_dir=work / "store", kb="decompose", top_k=10)
    started = time.perf_counter()
    report = ingest([work / "corpus"], settings, embeddings=embeddings)
    result: dict[str, Any] = {"dataset": dataset.name, "queries": len(dataset.queries),
                              "ingest_s": round(time.perf_counter() - started, 1), "chunks": report.chunks_written,
                              "split": sum(len(question_parts(q["text"])) > 1 for q in dataset.queries)}
    for decompose in (False, True):
        retriever = make_retriever(settings.with_overrides(decompose_questions=decompose), embeddings)
        rankings: dict[str, list[str]] = {}
        complete = {5: 0, 3: 0}
        parts = {5: 0.0, 3: 0.0}
        grouped = 0
        started = time.perf_counter()
        for query in dataset.queries:
            docs = retriever.invoke(query["text"])
            rankings[query["id"]] = list(dict.fromkeys(names.get(d.metadata["source"], d.metadata["source"]) for d in docs))
            if query.get("answer_groups"):
                grouped += 1
                for k in (5, 3):
                    whole, share = coverage([d.page_content for d in docs[:k]], query["answer_groups"])
                    complete[k] += whole
                    parts[k] += share
        seconds = (time.perf_counter() - started) / len(dataset.queries)
        metrics = retrieval_metrics(rankings, dataset.qrels)
        row = {"recall@5": metrics["recall@5"], "ndcg@10": metrics["ndcg@10"], "ms_per_question": round(seconds * 1000, 1)}
        if grouped:
            for k in (5, 3):
                row[f"all_parts_covered@{k}"] = round(complete[k] / grouped, 3)
                row[f"parts_covered@{k}"] = round(parts[k] / grouped, 3)
        result["split_on" if decompose else "split_off"] = row
        print(dataset.name, "split" if decompose else "whole", json.dumps(row), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings

    embeddings = make_embeddings(Settings.defaults())
    results = []
    for folder in args.datasets:
        with tempfile.TemporaryDirectory() as work:
            results.append(measure(folder, args.limit, embeddings, Path(work)))
            print(json.dumps(results[-1]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
