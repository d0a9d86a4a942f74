"""File -> text documents, one loader per suffix. Every failure becomes a one-line ``LoaderError``.

Loaders return ``Document``s whose metadata carries what the format knows (``page`` for PDF pages and
slides). Markdown headings are kept in the text: the splitter turns them into ``headings`` metadata.
DOCX and HTML headings are written as Markdown headings for the same reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from kb_assistant.errors import LoaderError
from kb_assistant.ingestion.decoding import clean_text, decode_bytes

Loader = Callable[[Path, bytes], list[Document]]


def _text(path: Path, data: bytes) -> list[Document]:
    return [Document(page_content=clean_text(decode_bytes(data, path.name)), metadata={"format": "text"})]


def _markdown(path: Path, data: bytes) -> list[Document]:
    return [Document(page_content=clean_text(decode_bytes(data, path.name)), metadata={"format": "markdown"})]


_SUBTITLE_TIMING = re.compile(r"^\s*(\d+\s*$|[\d:.,]+\s*-->\s*[\d:.,]+.*$|WEBVTT.*$|NOTE\b.*$)")


def _subtitles(path: Path, data: bytes) -> list[Document]:
    lines = decode_bytes(data, path.name).splitlines()
    kept = [line.strip() for line in lines if line.strip() and not _SUBTITLE_TIMING.match(line)]
    return [Document(page_content=clean_text("\n".join(kept)), metadata={"format": "subtitles"})]


def _pdf(path: Path, data: bytes) -> list[Document]:
    import pymupdf

    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception as e:  # pymupdf raises its own FileDataError and plain RuntimeErrors
        msg = f"corrupt or unreadable PDF ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
        raise LoaderError(msg) from e
    with pdf:
        if pdf.needs_pass:
            msg = "PDF is encrypted with a password; save an unencrypted copy to index it"
            raise LoaderError(msg)
        docs = []
        pictured = 0
        for number, page in enumerate(pdf, start=1):
            text = clean_text(page.get_text("text", sort=True))
            if text.strip():
                docs.append(Document(page_content=text, metadata={"format": "pdf", "page": number}))
            elif page.get_images():
                pictured += 1
        pages = pdf.page_count
    if not docs:
        # pymupdf repairs what it can, so a damaged file opens with no pages or blank ones; only pages that
        # hold pictures and no text are a scan.
        if pictured:
            msg = f"PDF has no extractable text: {pictured} of {pages} pages are images (a scan?); OCR it first"
        else:
            msg = f"corrupt or empty PDF: {pages} pages read, none with text or images"
        raise LoaderError(msg)
    return docs


def _open_office(opener: Callable[[Any], Any], data: bytes, kind: str, app: str) -> Any:
    try:
        return opener(io.BytesIO(data))
    except Exception as e:  # python-docx/pptx raise zipfile / KeyError / ValueError on bad files
        msg = f"not a readable {kind} file ({type(e).__name__}); re-save it from {app}"
        raise LoaderError(msg) from e


def _docx(path: Path, data: bytes) -> list[Document]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = _open_office(docx.Document, data, ".docx", "Word")
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = block.text.strip()
            style = (block.style.name or "") if block.style is not None else ""
            heading = re.match(r"Heading (\d)", style)
            level = int(heading.group(1)) if heading else (1 if style == "Title" else 0)
            if text and level:
                lines.append("#" * level + " " + text)
            elif text:
                lines.append(text)
        elif isinstance(block, Table):
            lines.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
    return [Document(page_content=clean_text("\n\n".join(lines)), metadata={"format": "docx"})]


def _pptx(path: Path, data: bytes) -> list[Document]:
    import pptx

    presentation = _open_office(pptx.Presentation, data, ".pptx", "PowerPoint")
    docs = []
    for number, slide in enumerate(presentation.slides, start=1):
        parts: list[str] = []
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text.strip():
                parts.append(shape.text_frame.text.strip())
            if getattr(shape, "has_table", False) and shape.has_table:
                parts.extend(" | ".join(c.text.strip() for c in row.cells) for row in shape.table.rows)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                parts.append(notes)
        if parts:
            docs.append(Document(page_content=clean_text("\n".join(parts)), metadata={"format": "pptx", "page": number}))
    return docs


_HTML_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg")


def _html(path: Path, data: bytes) -> list[Document]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_bytes(data, path.name), "lxml")
    for tag in soup(_HTML_DROP):
        tag.decompose()
    for table in soup.find_all("table"):
        rows = []
        for tr in table.find_all("tr"):
            cells = [c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
            if any(cells):
                rows.append(" | ".join(cells))
        table.replace_with(soup.new_string("\n" + "\n".join(rows) + "\n"))
    for level in range(1, 7):
        for h in soup.find_all(f"h{level}"):
            h.replace_with(soup.new_string(f"\n{'#' * level} {h.get_text(' ', strip=True)}\n"))
    body = soup.body or soup
    text = body.get_text("\n")
    text = re.sub(r"[ \t\xa0]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    title = soup.title.get_text(strip=True) if soup.title else ""
    metadata: dict[str, Any] = {"format": "html"}
    if title:
        metadata["title"] = title
    return [Document(page_content=clean_text(text), metadata=metadata)]


def _table(path: Path, data: bytes) -> list[Document]:
    text = decode_bytes(data, path.name)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as e:
        msg = f"malformed {path.suffix} ({e})"
        raise LoaderError(msg) from e
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    # One line per row with its column names, so a chunk of rows is self-describing.
    lines = ["; ".join(f"{h}: {v}" for h, v in zip(header, row, strict=False) if v.strip()) for row in body]
    return [Document(page_content=clean_text("\n".join(lines or [" | ".join(header)])), metadata={"format": "table"})]


def _flatten_json(value: Any, prefix: str, out: list[str], in_list: bool = False) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten_json(item, f"{prefix}.{key}" if prefix else str(key), out, in_list)
    elif isinstance(value, list):
        for item in value:
            _flatten_json(item, prefix, out, True)
    elif isinstance(value, str):
        if value.strip():
            out.append(f"{prefix}: {value}" if prefix else value)
    elif value is not None and not in_list:
        # Numbers inside arrays are timestamps, token ids, vectors: noise for retrieval.
        out.append(f"{prefix}: {value}" if prefix else str(value))


def _json(path: Path, data: bytes) -> list[Document]:
    text = decode_bytes(data, path.name)
    try:
        if path.suffix.lower() == ".jsonl":
            values = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            values = [json.loads(text)]
    except json.JSONDecodeError as e:
        msg = f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
        raise LoaderError(msg) from e
    lines: list[str] = []
    for value in values:
        _flatten_json(value, "", lines)
    return [Document(page_content=clean_text("\n".join(lines)), metadata={"format": "json"})]


LOADERS: dict[str, Loader] = {
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _text,
    ".text": _text,
    ".rst": _text,
    ".log": _text,
    ".srt": _subtitles,
    ".vtt": _subtitles,
    ".pdf": _pdf,
    ".docx": _docx,
    ".pptx": _pptx,
    ".html": _html,
    ".htm": _html,
    ".csv": _table,
    ".tsv": _table,
    ".json": _json,
    ".jsonl": _json,
}


def is_supported(path: Path) -> bool:
    """Whether a loader exists for this file's suffix."""
    return path.suffix.lower() in LOADERS


def load_bytes(path: Path, data: bytes) -> list[Document]:
    """Turn a file's bytes into documents with text; raises ``LoaderError`` with the reason."""
    if not data.strip():
        msg = "file is empty"
        raise LoaderError(msg)
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        msg = f"unsupported file type {path.suffix or '(none)'}; supported: {', '.join(sorted(LOADERS))}"
        raise LoaderError(msg)
    docs = [d for d in loader(path, data) if d.page_content.strip()]
    if not docs:
        msg = "no text could be extracted"
        raise LoaderError(msg)
    return docs
