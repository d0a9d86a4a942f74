"""File -> text documents, one loader per suffix. Every failure becomes a one-line ``LoaderError``; a file
that holds no text at all is a ``NoTextError`` (skipped, not failed).

Loaders return ``Document``s whose metadata carries what the format knows (``page`` for PDF pages, slides and
image frames, ``ocr`` where the text was read from a picture). Markdown headings are kept in the text: the
splitter turns them into ``headings`` metadata. DOCX and HTML headings are written as Markdown headings for the
same reason, and every table as a Markdown table (``tables``). Scanned PDF pages and pictures are read by OCR
(``ocr``) unless ``LoadOptions.ocr`` is off, and so are the pictures of Word documents and slides that have next
to no text of their own (``embedded_pictures``).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from kb_assistant.errors import LoaderError, NoTextError
from kb_assistant.ingestion import html_tables, long_tail, pdf_pages, web_pages
from kb_assistant.ingestion.decoding import clean_text, decode_bytes
from kb_assistant.ingestion.pdf_pages import MIN_TEXT_LAYER
from kb_assistant.ingestion.tables import (
    markdown_table,
    read_delimited,
    read_legacy_workbook,
    read_workbook,
)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")

@dataclass(frozen=True)
class LoadOptions:
    """What loading may do beyond reading the file (ingestion fills it from the settings)."""

    ocr: bool = True
    """Read scanned PDF pages and pictures with OCR."""
    ocr_dpi: int = 200
    """Resolution at which scanned PDF pages are rendered for OCR."""
    ocr_model: str = "auto"
    """Which OCR model reads them (see :mod:`kb_assistant.ingestion.ocr`)."""
    on_page: Callable[[int, int], None] | None = None
    """Called with (pages done, pages to OCR) while a scan is read: progress for long scans."""
    html_main_content: bool = True
    """Keep only the main content of whole web pages (see :mod:`kb_assistant.ingestion.web_pages`)."""


Loader = Callable[[Path, bytes, LoadOptions], list[Document]]


def _text(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    return [Document(page_content=clean_text(decode_bytes(data, path.name)), metadata={"format": "text"})]


def _markdown(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    return [Document(page_content=clean_text(decode_bytes(data, path.name)), metadata={"format": "markdown"})]


_SUBTITLE_TIMING = re.compile(r"^\s*(\d+\s*$|[\d:.,]+\s*-->\s*[\d:.,]+.*$|WEBVTT.*$|NOTE\b.*$)")


def _subtitles(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    lines = decode_bytes(data, path.name).splitlines()
    return _transcript([line for line in lines if not _SUBTITLE_TIMING.match(line)])


def _transcript(lines: list[str]) -> list[Document]:
    """A transcript's spoken lines, one a line, without their timings. Speech-to-text tools (Whisper and its
    kin) write one transcript as .txt, .srt, .vtt, .tsv and .json side by side: read alike, the five hold the same
    text, and the KB keeps it once, with the other files as its copies."""
    kept = [line.strip() for line in lines if line.strip()]
    return [Document(page_content=clean_text("\n".join(kept)), metadata={"format": "subtitles"})]


_TRANSCRIPT_COLUMNS = ["start", "end", "text"]
"""The header of a transcript written as a table (Whisper's .tsv): times in milliseconds, then the words."""


def _transcript_segments(value: Any) -> list[str] | None:
    """The spoken lines of a transcript written as JSON (``{"text": ..., "segments": [{"start", "end", "text"},
    ...]}``, as Whisper, faster-whisper and WhisperX write it), or None for any other JSON."""
    segments = value.get("segments") if isinstance(value, dict) else None
    if not isinstance(segments, list) or not segments:
        return None
    if not all(isinstance(s, dict) and isinstance(s.get("text"), str) and "start" in s and "end" in s for s in segments):
        return None
    return [s["text"] for s in segments]


def _image(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    """A picture (every frame of a multi-page TIFF) read by OCR."""
    if not options.ocr:
        msg = "a picture: set ocr = true to index the text in it"
        raise LoaderError(msg)
    import numpy as np
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from kb_assistant.ingestion.ocr import PageReader

    def frames() -> Iterator[Any]:  # one decoded frame in memory at a time: a TIFF can hold hundreds
        try:
            picture = Image.open(io.BytesIO(data))
            total = getattr(picture, "n_frames", 1)
            for frame in ImageSequence.Iterator(picture):
                yield np.asarray(frame.convert("RGB")), total
        except Image.DecompressionBombError as e:  # a few KB that would decode to gigabytes
            msg = f"picture too large to read ({e}); scale it down to index it"
            raise LoaderError(msg) from e
        except (UnidentifiedImageError, OSError, ValueError) as e:
            msg = f"not a readable {path.suffix} image ({type(e).__name__}); re-save it from an image editor"
            raise LoaderError(msg) from e

    docs = []
    reader = PageReader(options.ocr_model)
    for number, (frame, total) in enumerate(frames(), start=1):
        text = clean_text(reader.read(frame))
        if text.strip():
            docs.append(Document(page_content=text, metadata={"format": "image", "page": number, "ocr": True}))
        if options.on_page is not None and total > 1:
            options.on_page(number, total)
    if not docs:
        msg = "no text: OCR found none in the picture"
        raise NoTextError(msg)
    return docs


def _open_office(opener: Callable[[Any], Any], data: bytes, kind: str, app: str) -> Any:
    try:
        return opener(io.BytesIO(data))
    except Exception as e:  # python-docx/pptx raise zipfile / KeyError / ValueError on bad files
        msg = f"not a readable {kind} file ({type(e).__name__}); re-save it from {app}"
        raise LoaderError(msg) from e


def _docx(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
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
            lines.append(markdown_table([cell.text for cell in row.cells] for row in block.rows))
    text = clean_text("\n\n".join(lines))
    if options.ocr and len(text.strip()) < MIN_TEXT_LAYER:  # a scan or screenshots pasted into a document
        from kb_assistant.ingestion.embedded_pictures import docx_pictures, pictures_text

        read = clean_text(pictures_text(docx_pictures(document), options.ocr_model))
        if read.strip():
            return [Document(page_content=f"{text.strip()}\n\n{read}".strip(), metadata={"format": "docx", "ocr": True})]
    return [Document(page_content=text, metadata={"format": "docx"})]


def _pptx(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    import pptx

    presentation = _open_office(pptx.Presentation, data, ".pptx", "PowerPoint")
    docs = []
    for number, slide in enumerate(presentation.slides, start=1):
        parts: list[str] = []
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text.strip():
                parts.append(shape.text_frame.text.strip())
            if getattr(shape, "has_table", False) and shape.has_table:
                parts.append(markdown_table([c.text for c in row.cells] for row in shape.table.rows))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                parts.append(notes)
        metadata: dict[str, Any] = {"format": "pptx", "page": number}
        if options.ocr and sum(len(p) for p in parts) < MIN_TEXT_LAYER:  # a slide made of a screenshot or a scan
            from kb_assistant.ingestion.embedded_pictures import pictures_text, slide_pictures

            read = pictures_text(slide_pictures(slide), options.ocr_model)
            if read.strip():
                parts.append(read)
                metadata["ocr"] = True
        if parts:
            docs.append(Document(page_content=clean_text("\n".join(parts)), metadata=metadata))
    return docs


_HTML_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg")


def _html(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    from bs4 import BeautifulSoup

    html = decode_bytes(data, path.name)
    soup = BeautifulSoup(html, "lxml")
    had_tables = soup.find("table") is not None
    if had_tables:
        html_tables.simplify_tables(soup)
    if options.html_main_content and web_pages.is_full_page(soup):
        found = web_pages.main_content(str(soup) if had_tables else html, had_tables=had_tables)
        if found is not None:
            title, text = found
            metadata = {"format": "html", "content": "main"} | ({"title": title} if title else {})
            return [Document(page_content=clean_text(text), metadata=metadata)]
        web_pages.drop_link_lists(soup)  # trafilatura found nothing it could keep: at least the menus go
    for tag in soup(_HTML_DROP):
        tag.decompose()
    for table in soup.find_all("table"):  # plain since simplify_tables: one header row, no merged cells
        table.replace_with(soup.new_string(f"\n{html_tables.table_markdown(table)}\n"))
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


def _table(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    text = decode_bytes(data, path.name)
    lines = text.splitlines()
    if path.suffix.lower() == ".tsv" and lines and lines[0].strip().lower().split("\t") == _TRANSCRIPT_COLUMNS:
        return _transcript([line.split("\t", 2)[2] if line.count("\t") >= 2 else "" for line in lines[1:]])
    table = read_delimited(text, path.suffix.lower())
    return [Document(page_content=table, metadata={"format": "table"})]


def _workbook(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    """Each sheet a section (``# sheet name``) holding the sheet as a Markdown table."""
    sheets = read_workbook(path, data) if path.suffix.lower() in (".xlsx", ".xlsm") else read_legacy_workbook(path, data)
    text = "\n\n".join(f"# {name}\n\n{table}" for name, table in sheets)
    return [Document(page_content=text, metadata={"format": "table"})]


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


def _json(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    text = decode_bytes(data, path.name)
    try:
        if path.suffix.lower() == ".jsonl":
            values = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            values = [json.loads(text)]
    except json.JSONDecodeError as e:
        msg = f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
        raise LoaderError(msg) from e
    spoken = _transcript_segments(values[0]) if len(values) == 1 else None
    if spoken is not None:
        return _transcript(spoken)
    lines: list[str] = []
    for value in values:
        _flatten_json(value, "", lines)
    return [Document(page_content=clean_text("\n".join(lines)), metadata={"format": "json"})]


def _long_tail(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    return long_tail.load(path, data)


def _restructured_text(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    """reStructuredText with its headings and tables when the ``unstructured`` extra is there, else (or when
    pandoc cannot parse it) as the plain text it also is."""
    if long_tail.available():
        try:
            return long_tail.load(path, data)
        except LoaderError:
            pass
    return _text(path, data, options)


LOADERS: dict[str, Loader] = {
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _text,
    ".text": _text,
    ".rst": _restructured_text,
    ".log": _text,
    ".srt": _subtitles,
    ".vtt": _subtitles,
    ".pdf": pdf_pages.load_pdf,
    ".docx": _docx,
    ".pptx": _pptx,
    ".html": _html,
    ".htm": _html,
    ".csv": _table,
    ".tsv": _table,
    ".xlsx": _workbook,
    ".xlsm": _workbook,
    ".xls": _workbook,
    ".ods": _workbook,
    ".json": _json,
    ".jsonl": _json,
    **dict.fromkeys(IMAGE_SUFFIXES, _image),
    **{suffix: _long_tail for suffix in long_tail.SUFFIXES if suffix != ".rst"},
}


def is_supported(path: Path) -> bool:
    """Whether this file's suffix can be read here (long-tail formats need the ``unstructured`` extra)."""
    return unsupported_reason(path) is None


def unsupported_reason(path: Path) -> str | None:
    """Why a file is skipped for its type, in one line; None when it can be read."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        return f"unsupported file type {suffix or '(none)'}"
    if LOADERS[suffix] is _long_tail and not long_tail.available():
        return long_tail.missing_reason(suffix)
    return None


def load_bytes(path: Path, data: bytes, options: LoadOptions | None = None) -> list[Document]:
    """Turn a file's bytes into documents with text; raises ``LoaderError`` with the reason (``NoTextError``
    when the file is readable but holds no text)."""
    if not data.strip():
        msg = "file is empty"
        raise LoaderError(msg)
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        msg = f"unsupported file type {path.suffix or '(none)'}; supported: {', '.join(sorted(LOADERS))}"
        raise LoaderError(msg)
    docs = [d for d in loader(path, data, options or LoadOptions()) if d.page_content.strip()]
    if not docs:
        msg = "no text: the file holds none (an empty page, a page shell that loads its text by script?)"
        raise NoTextError(msg)
    return docs
