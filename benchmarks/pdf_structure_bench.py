"""A PDF's bookmarks as headings, its running lines read once, its cover's title: what they do to retrieval.

The whole pumpkin book (../shared's pumpkin_book.pdf: a Chinese ML textbook of 196 pages with 457 bookmarks, a
running header and footer on every page) is ingested twice in one run, as pages (each page's text under the file's
name, as before) and with its structure (``kb_assistant.ingestion.pdf_structure``), and the 60 pumpkin_book_qa
questions are asked of each KB with the default recipe: Recall@5 and MRR@5 of the gold page (a chunk counts for
the page it starts on), chunks, and the questions answered by a page only one of the two finds.

    python benchmarks/pdf_structure_bench.py --workdir /tmp/pdfbench [--json build/pdf_structure.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from documents_bench import BOOK, pumpkin_questions


def run(store: Path, structured: bool, embeddings: Any) -> dict[str, Any]:
    """Ingest the book (read in this process, so the loader as patched here is the one used) and ask."""
    from kb_assistant.config import Settings
    from kb_assistant.ingestion import ingest, pdf_pages
    from kb_assistant.retrieval import make_retriever

    kept = (pdf_pages.outline_sections, pdf_pages.drop_running_lines, pdf_pages.cover_title)
    if not structured:  # the loader as it was: each page's text under the file's name
        pdf_pages.outline_sections = lambda toc, pages: pages
        pdf_pages.drop_running_lines = lambda pages: pages
        pdf_pages.cover_title = lambda title, page: None
    settings = Settings.defaults().with_overrides(persist_dir=store, kb="bench", top_k=5, ingest_workers=0)
    try:
        started = time.perf_counter()
        report = ingest([BOOK], settings, embeddings=embeddings)
        seconds = time.perf_counter() - started
    finally:
        pdf_pages.outline_sections, pdf_pages.drop_running_lines, pdf_pages.cover_title = kept
    assert report.ok, report.outcomes
    retriever = make_retriever(settings, embeddings)
    queries, gold = pumpkin_questions()
    ranks: dict[str, int | None] = {}
    for query in queries:
        pages = [f"page-{int(d.metadata['page']) - 1:03d}" for d in retriever.invoke(query["text"])]
        ranks[query["id"]] = next((i + 1 for i, page in enumerate(pages) if page in gold[query["id"]]), None)
    found = [r for r in ranks.values() if r is not None]
    return {"chunks": report.chunks_written, "ingest_s": round(seconds, 1), "questions": len(queries),
            "recall@5": round(len(found) / len(queries), 3),
            "mrr@5": round(sum(1 / r for r in found) / len(queries), 3), "ranks": ranks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings

    embeddings = make_embeddings(Settings.defaults())
    results = {name: run(args.workdir / name, name == "structure", embeddings) for name in ("pages", "structure")}
    before, after = results["pages"]["ranks"], results["structure"]["ranks"]
    results["only_pages"] = sorted(q for q in before if before[q] and not after[q])
    results["only_structure"] = sorted(q for q in before if after[q] and not before[q])
    for name in ("pages", "structure"):
        shown = {k: v for k, v in results[name].items() if k != "ranks"}
        print(name, shown, flush=True)
    print("found only as pages:", results["only_pages"], "only with structure:", results["only_structure"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
