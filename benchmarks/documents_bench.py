"""Scanned copies and tables: what OCR and the table loaders give, measured on documents built from ../shared.

Scans (every page rendered to a picture at --dpi, then made an image-only PDF, as a scanner would):
- ``prose``: passages of --prose-sets (xquad_zh, drcd_dev in traditional Chinese, xquad_en) typeset with the CJK
  font at 12 pt on A4 pages: character error rate (CER) of the OCR text against the typeset text, and OCR seconds
  per page.
- ``book``: the pages of ../shared's pumpkin_book.pdf (a Chinese ML textbook, formulas included): CER
  against its text layer, and Recall@5 of the pumpkin_book_qa questions over a KB of the scanned copy against
  a KB of the digital PDF (the same pages: every gold page and distractors up to --book-pages).
Both scan parts run once for each of --ocr-models, in one run: "auto" (the tiny model, the small one for
traditional Chinese pages) and "small" (RapidOCR on --small-backend, the default before the tiny model).
CER is edit distance over the reference length, counting letters, digits and CJK characters only (spacing and
punctuation width differ between a text layer and any OCR), after NFKC (the book's text layer uses Kangxi radicals).

Tables: --rows rows of ../shared's Company.csv (an HR table, 7 columns) written as a ruled PDF table, a Word
table, an XLSX sheet and the PDF table scanned (200 dpi pictures, read by OCR; --no-ocr-tables reads its lines as
plain lines, the baseline). For --questions sampled cells, "What is the <column> of employee <id>?" is asked of a
KB of each file; a hit is a top-5 chunk holding that row together with the header's column names.

    python benchmarks/documents_bench.py --json build/documents.json
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import tempfile
import textwrap
import time
import unicodedata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_COUNTED = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]")


def counted(text: str) -> str:
    """The characters CER counts: letters, digits and CJK, after NFKC."""
    return "".join(_COUNTED.findall(unicodedata.normalize("NFKC", text)))


def cer(reference: str, hypothesis: str) -> float:
    """Edit distance between the counted characters over the reference length."""
    import rapidfuzz.distance.Levenshtein as levenshtein

    ref, hyp = counted(reference), counted(hypothesis)
    return levenshtein.distance(ref, hyp) / max(len(ref), 1)


def typeset(text: str, dpi: int) -> list[bytes]:
    """Text as A4 page pictures (PNG) at ``dpi``, 12 pt CJK font, 2.5 cm margins."""
    from PIL import Image, ImageDraw, ImageFont

    scale = dpi / 72
    width, height, margin = int(595 * scale), int(842 * scale), int(71 * scale)
    font = ImageFont.truetype(str(FONT), int(12 * scale))
    per_line = int((width - 2 * margin) / (12 * scale))  # full-width characters per line
    lines = [line for paragraph in text.splitlines() for line in (textwrap.wrap(paragraph, per_line) or [""])]
    per_page = int((height - 2 * margin) / (12 * scale * 1.6))
    pages = []
    for start in range(0, max(len(lines), 1), per_page):
        picture = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(picture)
        for i, line in enumerate(lines[start : start + per_page]):
            draw.text((margin, margin + i * 12 * scale * 1.6), line, fill=0, font=font)
        out = io.BytesIO()
        picture.save(out, "PNG")
        pages.append(out.getvalue())
    return pages


def image_pdf(pictures: list[bytes]) -> bytes:
    """An image-only PDF (no text layer) of these page pictures."""
    import pymupdf

    pdf = pymupdf.open()
    for picture in pictures:
        pdf.new_page(width=595, height=842).insert_image(pymupdf.Rect(0, 0, 595, 842), stream=picture)
    return pdf.tobytes()


def ocr_pages(data: bytes, dpi: int, model: str) -> tuple[list[str], float]:
    """OCR every page of an image-only PDF through the loader; (texts by page, seconds)."""
    from kb_assistant.ingestion.loaders import LoadOptions, load_bytes

    started = time.perf_counter()
    docs = load_bytes(Path("scan.pdf"), data, LoadOptions(ocr=True, ocr_dpi=dpi, ocr_model=model))
    seconds = time.perf_counter() - started
    import pymupdf

    texts = [""] * pymupdf.open(stream=data, filetype="pdf").page_count
    for doc in docs:
        texts[doc.metadata["page"] - 1] = doc.page_content
    return texts, seconds


def prose_scans(dataset: str, passages: int, dpi: int, model: str) -> dict[str, Any]:
    corpus = [json.loads(line)["text"] for line in (SHARED / "eval" / dataset / "corpus.jsonl").open(encoding="utf-8")]
    text = "\n".join(corpus[:passages])
    pictures = typeset(text, dpi)
    texts, seconds = ocr_pages(image_pdf(pictures), dpi, model)
    return {"pages": len(pictures), "cer": round(cer(text, "".join(texts)), 4),
            "ocr_s_per_page": round(seconds / len(pictures), 2)}


def _recall(store_dir: Path, pdf: Path, queries: list[dict[str, Any]], gold: dict[str, set[str]], embeddings: Any) -> float:
    from kb_assistant.config import Settings
    from kb_assistant.ingestion import ingest
    from kb_assistant.retrieval import make_retriever

    # The whole book copied page by page is over the default 100 MB file limit (fonts repeated per page).
    settings = Settings.defaults().with_overrides(persist_dir=store_dir, kb="bench", top_k=5, max_file_mb=1000)
    report = ingest([pdf], settings, embeddings=embeddings)
    assert report.ok, report.outcomes
    retriever = make_retriever(settings, embeddings)
    hits = 0
    for query in queries:
        pages = {f"page-{int(d.metadata['page']) - 1:03d}" for d in retriever.invoke(query["text"])}
        hits += bool(pages & gold[query["id"]])
    return hits / len(queries)


BOOK = SHARED / "corpora" / "llm_universe_kb" / "knowledge_db" / "pumkin_book" / "pumpkin_book.pdf"


def pumpkin_questions() -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """pumpkin_book_qa's questions that have gold pages, and those pages ("page-023": the book's page 24) by id."""
    folder = SHARED / "eval" / "pumpkin_book_qa"
    queries = [json.loads(line) for line in (folder / "queries.jsonl").open(encoding="utf-8")]
    gold: dict[str, set[str]] = {}
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, doc_id = line.split("\t")[:2]
        gold.setdefault(qid, set()).add(doc_id)
    return [q for q in queries if q["id"] in gold], gold


def book_scans(work: Path, pages: int, dpi: int, model: str, embeddings: Any) -> dict[str, Any]:
    import pymupdf

    queries, gold = pumpkin_questions()
    book = pymupdf.open(BOOK)
    wanted = sorted({int(d.removeprefix("page-")) for ids in gold.values() for d in ids})
    wanted += [n for n in range(book.page_count) if n not in wanted][: max(0, pages - len(wanted))]
    wanted = sorted(wanted)
    digital = pymupdf.open()
    for number in wanted:
        digital.insert_pdf(book, from_page=number, to_page=number)
    # Keep the book's page numbers: page i of the subset is book page wanted[i].
    renumber = {i + 1: n for i, n in enumerate(wanted)}
    # Grey JPEG pages, as a document scanner saves them.
    pictures = [digital[i].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY).tobytes("jpg", jpg_quality=85) for i in range(len(wanted))]
    scanned = image_pdf(pictures)
    texts, seconds = ocr_pages(scanned, dpi, model)
    reference = [digital[i].get_text() for i in range(len(wanted))]
    result: dict[str, Any] = {
        "pages": len(wanted),
        "scan_mb": round(len(scanned) / 2**20, 1),
        "cer": round(cer("".join(reference), "".join(texts)), 4),
        "ocr_s_per_page": round(seconds / len(wanted), 2),
    }
    work.mkdir(parents=True, exist_ok=True)
    (work / "digital.pdf").write_bytes(digital.tobytes())
    (work / "scanned.pdf").write_bytes(scanned)
    regold = {q: {f"page-{i - 1:03d}" for i, n in renumber.items() if f"page-{n:03d}" in ids} for q, ids in gold.items()}
    result["recall@5_digital"] = round(_recall(work / "kb-digital", work / "digital.pdf", queries, regold, embeddings), 3)
    result["recall@5_scanned"] = round(_recall(work / "kb-scanned", work / "scanned.pdf", queries, regold, embeddings), 3)
    result["queries"] = len(queries)
    return result


def _company(rows: int) -> tuple[list[str], list[list[str]]]:
    with (SHARED / "corpora" / "llm_universe_kb" / "c7_data" / "Company.csv").open(encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    header, body = table[0], table[1:]
    return header, random.Random(7).sample(body, rows)


def _table_pdf(header: list[str], body: list[list[str]], path: Path) -> None:
    import pymupdf

    pdf = pymupdf.open()
    widths = (60, 70, 30, 80, 80, 130, 40)
    per_page = 50
    for start in range(0, len(body), per_page):
        page = pdf.new_page()
        page.insert_text((40, 40), "Table 1: Employees", fontsize=10)
        for r, row in enumerate([header] + body[start : start + per_page]):
            x, top = 40, 50 + r * 14
            for width, value in zip(widths, row, strict=True):
                page.draw_rect(pymupdf.Rect(x, top, x + width, top + 14), color=(0, 0, 0), width=0.4)
                page.insert_text((x + 2, top + 10), value, fontsize=7)
                x += width
    pdf.save(str(path))


def _table_scan(header: list[str], body: list[list[str]], path: Path) -> None:
    """The ruled PDF table printed and scanned: its pages as grey JPEG pictures at 200 dpi, no text layer."""
    import pymupdf

    _table_pdf(header, body, path)
    with pymupdf.open(path) as pdf:
        pictures = [page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY).tobytes("jpg", jpg_quality=85) for page in pdf]
    path.write_bytes(image_pdf(pictures))


def _table_docx(header: list[str], body: list[list[str]], path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Employees", level=1)
    table = document.add_table(rows=1, cols=len(header))
    for cell, value in zip(table.rows[0].cells, header, strict=True):
        cell.text = value
    for row in body:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    document.save(str(path))


def _table_xlsx(header: list[str], body: list[list[str]], path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Employees"
    sheet.append(header)
    for row in body:
        sheet.append(row)
    workbook.save(path)


def _holds_row(text: str, key: str, header: list[str], scanned: bool) -> bool:
    """Whether a chunk holds the row of ``key`` with the header's column names: in a Markdown row for the files
    with a text layer; for the scan, the key as a word and all column names but one (OCR reads "EmployeeID" as
    "EmployeelD"), so plain OCR lines (--no-ocr-tables) are measured the same way."""
    if not scanned:
        return f"| {key} |" in text and all(h in text for h in header)
    return re.search(rf"(?<!\w){key}(?!\w)", text) is not None and sum(h in text for h in header) >= len(header) - 1


def tables(work: Path, rows: int, questions: int, embeddings: Any) -> dict[str, Any]:
    from kb_assistant.config import Settings
    from kb_assistant.ingestion import ingest
    from kb_assistant.retrieval import make_retriever

    header, body = _company(rows)
    asked = random.Random(11).sample(body, questions)
    columns = random.Random(13)
    result: dict[str, Any] = {"rows": rows, "questions": questions}
    for name, suffix, write in (("pdf", ".pdf", _table_pdf), ("docx", ".docx", _table_docx),
                                ("xlsx", ".xlsx", _table_xlsx), ("scanned_pdf", ".pdf", _table_scan)):
        folder = work / f"table-{name}"
        folder.mkdir()
        write(header, body, folder / f"employees{suffix}")
        settings = Settings.defaults().with_overrides(persist_dir=work / f"kb-{name}", kb="bench", top_k=5)
        started = time.perf_counter()
        report = ingest([folder], settings, embeddings=embeddings)
        seconds = time.perf_counter() - started
        assert report.ok, report.outcomes
        retriever = make_retriever(settings, embeddings)
        hits = 0
        for row in asked:
            column = columns.randrange(1, len(header))
            docs = retriever.invoke(f"What is the {header[column]} of employee {row[0]}?")
            hits += any(_holds_row(d.page_content, row[0], header, scanned=name == "scanned_pdf") for d in docs)
        result[name] = {"cell_hit@5": round(hits / questions, 3), "chunks": report.chunks_written,
                                      "ingest_s": round(seconds, 1)}
    return result


def warm_up_ocr(small_backend: str) -> None:
    """Build both OCR engines (the small one on ``small_backend``) and run them once, so loading is not timed."""
    from kb_assistant.ingestion import ocr

    ocr.BACKEND = small_backend
    for model in ("auto", "small"):
        ocr.ocr_image(typeset("预热 warm-up", 72)[0], model)


def warm_up(work: Path, embeddings: Any) -> None:
    """Load both embedding models before anything is timed."""
    from kb_assistant.config import Settings
    from kb_assistant.ingestion import ingest

    (work / "warm").mkdir()
    (work / "warm" / "a.md").write_text("# Warm\n\nThe warm-up file is English. 预热文件。\n", encoding="utf-8")
    ingest([work / "warm"], Settings.defaults().with_overrides(persist_dir=work / "kb-warm", kb="warm"), embeddings=embeddings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--prose-sets", default="xquad_zh,drcd_dev,xquad_en", help="eval sets typeset for the prose scans")
    parser.add_argument("--passages", type=int, default=12, help="passages of each set typeset for the prose scans")
    parser.add_argument("--book-pages", type=int, default=60, help="pumpkin book pages: every gold page, then others")
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: prose, book, tables")
    parser.add_argument("--ocr-models", default="auto,small", help="ocr_model values to measure the scans with")
    parser.add_argument("--small-backend", default="auto", help="runtime of the small model: auto, openvino, onnxruntime")
    parser.add_argument("--no-ocr-tables", action="store_true", help="OCR lines as plain lines (no Markdown tables): the baseline")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.no_ocr_tables:
        from kb_assistant.ingestion import ocr

        ocr.TABLE_ROWS = 10**9
    from kb_assistant.config import Settings, apply_offline_env
    from kb_assistant.embeddings import make_embeddings

    settings = Settings.defaults()
    apply_offline_env(settings)
    embeddings = make_embeddings(settings)
    skip = set(args.skip.split(","))
    result: dict[str, Any] = {"dpi": args.dpi}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        warm_up(work, embeddings)
        warm_up_ocr(args.small_backend)
        for model in args.ocr_models.split(","):
            if "prose" not in skip:
                for dataset in args.prose_sets.split(","):
                    prose = prose_scans(dataset, args.passages, args.dpi, model)
                    result.setdefault("prose", {}).setdefault(dataset, {})[model] = prose
                    print("prose", dataset, model, prose, flush=True)
            if "book" not in skip:
                result.setdefault("book", {})[model] = book_scans(work / model, args.book_pages, args.dpi, model, embeddings)
                print("book", model, result["book"][model], flush=True)
        if "tables" not in skip:
            result["tables"] = tables(work, args.rows, args.questions, embeddings)
            print("tables", result["tables"], flush=True)
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
