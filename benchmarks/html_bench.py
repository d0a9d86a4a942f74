"""Saved web pages with and without main-content extraction, on ../shared's DomainRAG pages.

../shared/corpora/domainrag_html holds 75 real pages of a university admissions site (menus twice, footers,
link lists; the facts in tables); ../shared/eval/domainrag_zh has 51 questions (``struct-NNN``) whose answer is
in one of those pages (``meta.source_url``). For each way of reading a page, measured in the same run:
- characters kept, and how many pages the extraction handled (the rest fall back to the whole page);
- answers kept: questions whose gold page's text still holds one of the accepted answers;
- Recall@5 / MRR@5 at page level: a KB of the 75 pages per way, each question asked of the default hybrid
  retriever; a hit is a top-5 chunk from the gold page.

    python benchmarks/html_bench.py --json build/html.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PAGES = SHARED / "corpora" / "domainrag_html"
QUERIES = SHARED / "eval" / "domainrag_zh" / "queries.jsonl"


def questions() -> list[dict[str, Any]]:
    urls = dict(line.split("\t") for line in (PAGES / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:])
    by_url = {url: name for name, url in urls.items()}
    found = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        query = json.loads(line)
        url = query.get("meta", {}).get("source_url")
        if query["id"].startswith("struct-") and url in by_url:
            found.append({**query, "page": by_url[url]})
    return found


def read_pages(main_content: bool) -> dict[str, Any]:
    from kb_assistant.ingestion.loaders import LoadOptions, load_bytes

    texts, handled, started = {}, 0, time.perf_counter()
    for page in sorted(PAGES.glob("page-*.html")):
        docs = load_bytes(page, page.read_bytes(), LoadOptions(html_main_content=main_content))
        texts[page.name] = "\n".join(d.page_content for d in docs)
        handled += any(d.metadata.get("content") == "main" for d in docs)
    return {"texts": texts, "handled": handled, "seconds": time.perf_counter() - started}


def retrieval(main_content: bool, asked: list[dict[str, Any]], embeddings: Any, work: Path) -> dict[str, float]:
    from kb_assistant.config import Settings
    from kb_assistant.ingestion import ingest
    from kb_assistant.retrieval import make_retriever

    settings = Settings.defaults().with_overrides(persist_dir=work / f"kb-{main_content}", kb="pages", top_k=5,
                                                  html_main_content=main_content)
    report = ingest([PAGES], settings, embeddings=embeddings)
    assert report.ok, [o for o in report.outcomes if o.status == "failed"]
    retriever = make_retriever(settings, embeddings)
    hits, reciprocal = 0, 0.0
    for query in asked:
        sources = [d.metadata["source"] for d in retriever.invoke(query["text"])]
        if query["page"] in sources:
            hits += 1
            reciprocal += 1 / (sources.index(query["page"]) + 1)
    return {"chunks": report.chunks_written, "recall_at_5": hits / len(asked), "mrr_at_5": reciprocal / len(asked)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from kb_assistant.config import Settings
    from kb_assistant.embeddings import make_embeddings

    asked = questions()
    embeddings = make_embeddings(Settings.defaults())
    result: dict[str, Any] = {"pages": len(list(PAGES.glob("page-*.html"))), "questions": len(asked)}
    with tempfile.TemporaryDirectory() as folder:
        for main_content in (False, True):
            read = read_pages(main_content)
            kept = sum(any(a in read["texts"][q["page"]] for a in q["answers"]) for q in asked)
            name = "main_content" if main_content else "whole_page"
            result[name] = {"characters": sum(len(t) for t in read["texts"].values()), "pages_extracted": read["handled"],
                            "read_seconds": round(read["seconds"], 2), "answers_kept": kept,
                            **retrieval(main_content, asked, embeddings, Path(folder))}
            print(name, json.dumps(result[name]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
