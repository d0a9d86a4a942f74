"""Titles from file names, for heading-less files: retrieval quality with and without them, in the same run.

``eval`` writes each corpus document as Markdown with its title as a heading. Many real files have no heading: a
plain-text file, a PDF page, a slide; their title is only in their name ("2020中法学院招生简章.pdf"). This writes
the same documents three ways and measures the default recipe on each (Recall@5, nDCG@10 over documents):

  - heading: the title as a Markdown heading (``eval``'s way: the most a title can give);
  - name, off: the text alone in ``<title>.txt`` (a second passage of the same title in ``<title> (2).txt``),
    ingested with ``file_titles = false`` (the code before);
  - name, on: the same files with ``file_titles = true`` (chunks begin with the title the name gives).

Documents without a title get an id-like name in all three.

    python benchmarks/file_titles_bench.py ../shared/eval/domainrag_zh --limit 200
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from kb_assistant.config import Settings, apply_offline_env
from kb_assistant.embeddings import make_embeddings
from kb_assistant.evaluation import (
    EvalDataset,
    doc_filename,
    load_dataset,
    ranked_ids,
    retrieval_metrics,
    write_corpus,
)
from kb_assistant.ingestion import ingest
from kb_assistant.retrieval import make_retriever

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def write_named(dataset: EvalDataset, folder: Path) -> dict[str, str]:
    """Each document's text alone in a file named by its title; returns file name -> doc id."""
    folder.mkdir(parents=True)
    names, taken = {}, set()
    for doc in dataset.corpus:
        title = _UNSAFE.sub(" ", (doc.get("title") or "").strip())[:120].strip()
        name = f"{title}.txt" if title else doc_filename(str(doc["id"])).replace(".md", ".txt")
        copy = 2
        while name in taken:
            name = f"{title} ({copy}).txt" if title else f"{doc['id']}-{copy}.txt"
            copy += 1
        taken.add(name)
        (folder / name).write_text(f"{doc['text']}\n", encoding="utf-8")
        names[name] = str(doc["id"])
    return names


def measure(dataset: EvalDataset, corpus: Path, names: dict[str, str], settings: Settings, embeddings: Any) -> dict[str, float]:
    report = ingest([corpus], settings, embeddings=embeddings)
    retriever = make_retriever(settings.with_overrides(top_k=40, fetch_k=max(settings.fetch_k, 40)), embeddings)
    rankings = {q["id"]: list(dict.fromkeys(ranked_ids(retriever, names, q["text"])))[:10] for q in dataset.queries}
    metrics = retrieval_metrics(rankings, dataset.qrels)
    return {"recall@5": round(metrics["recall@5"], 3), "ndcg@10": round(metrics["ndcg@10"], 3), "chunks": report.chunks_written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    settings = Settings()
    apply_offline_env(settings)
    dataset = load_dataset(args.dataset, args.limit)
    embeddings = make_embeddings(settings)
    result: dict[str, Any] = {"dataset": dataset.name, "queries": len(dataset.queries),
                              "titled": sum(1 for d in dataset.corpus if (d.get("title") or "").strip()) / len(dataset.corpus)}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        headed = write_corpus(dataset, root / "heading")
        named = write_named(dataset, root / "named")
        runs = (("heading", root / "heading", headed, True), ("name, off", root / "named", named, False),
                ("name, on", root / "named", named, True))
        for label, corpus, names, titles in runs:
            kb = settings.with_overrides(persist_dir=root / label.replace(", ", "-"), kb="bench", file_titles=titles)
            result[label] = measure(dataset, corpus, names, kb, embeddings)
            print(label, json.dumps(result[label]), file=sys.stderr, flush=True)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
