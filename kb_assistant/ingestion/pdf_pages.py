"""PDF files, page by page: the text layer where a page has one, OCR where the page is a scan; pages cut at the
PDF's bookmarks, each piece under its bookmark path (``pdf_structure``).

A page is a scan when it holds pictures and next to no text, or pictures over most of it and a short text (a stamp
added after scanning). Every failure is a one-line ``LoaderError``; a scan in which OCR finds nothing is a
``NoTextError`` (skipped, not failed).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from kb_assistant.errors import LoaderError, NoTextError
from kb_assistant.ingestion.decoding import clean_text
from kb_assistant.ingestion.pdf_structure import TITLE, cover_title, drop_running_lines, outline_sections
from kb_assistant.ingestion.tables import pdf_page_text

if TYPE_CHECKING:
    from kb_assistant.ingestion.loaders import LoadOptions

MIN_TEXT_LAYER = 20
"""A PDF page with pictures and fewer characters of text than this (a page number, a stamp) is a scan."""
SHORT_TEXT_LAYER = 200
"""A page whose pictures cover most of it (``SCAN_COVERAGE``) and whose text is shorter than this is a scan too: a
header, a stamp or a Bates number added to a scanned page after scanning. OCR reads it, and the longer of the two
texts is kept (a full-page figure with a caption keeps its caption)."""
SCAN_COVERAGE = 0.5
"""Share of a page's area that its pictures cover for a short text layer to mean a scan."""
LEADERS = re.compile(r"(?:[ \t]?[.·…‧]){4,}[ \t]?")
"""A contents page's dotted leaders (". . . . . . 118", "绪论…………1"): one "…" stands for them, or a page of
contents is mostly dots, and the tail of one ("南瓜书 (pumpkin book)" over ". . . . 118") is a chunk of its own."""


def load_pdf(path: Path, data: bytes, options: LoadOptions) -> list[Document]:
    """A PDF's pages with text, page by page; scanned pages read by OCR unless ``options.ocr`` is off."""
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
        pages: dict[int, Document] = {}
        scanned = []
        for number, page in enumerate(pdf, start=1):
            text = LEADERS.sub(" … ", clean_text(pdf_page_text(page)))
            length = len(text.strip())
            scan = bool(page.get_images()) and (
                length < MIN_TEXT_LAYER or (length < SHORT_TEXT_LAYER and picture_coverage(page) >= SCAN_COVERAGE))
            if scan:
                scanned.append(number)
            if length and (not scan or length >= MIN_TEXT_LAYER):
                pages[number] = Document(page_content=text, metadata={"format": "pdf", "page": number})
        total = pdf.page_count
        if scanned and options.ocr:
            import numpy as np

            from kb_assistant.ingestion.ocr import PageReader

            reader = PageReader(options.ocr_model)
            for done, number in enumerate(scanned, start=1):
                pixmap = pdf[number - 1].get_pixmap(dpi=options.ocr_dpi, colorspace=pymupdf.csGRAY, alpha=False)
                grey = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.stride)[:, : pixmap.width]
                text = clean_text(reader.read(grey))
                if len(text.strip()) > len(pages[number].page_content.strip() if number in pages else ""):
                    pages[number] = Document(page_content=text, metadata={"format": "pdf", "page": number, "ocr": True})
                if options.on_page is not None:
                    options.on_page(done, len(scanned))
        toc, title = _structure(pdf)
    if not pages:
        # pymupdf repairs what it can, so a damaged file opens with no pages or blank ones; only pages that
        # hold pictures and no text are a scan.
        if scanned and not options.ocr:
            msg = f"PDF has no text layer: {len(scanned)} of {total} pages are pictures (a scan); set ocr = true to read them"
            raise LoaderError(msg)
        if scanned:
            msg = f"no text: OCR found none on the {len(scanned)} scanned pages"
            raise NoTextError(msg)
        msg = f"corrupt or empty PDF: {total} pages read, none with text or pictures"
        raise LoaderError(msg)
    docs = outline_sections(toc, drop_running_lines([pages[n] for n in sorted(pages)]))
    if title:
        for doc in docs:
            doc.metadata[TITLE] = title
    return docs


def _structure(pdf: Any) -> tuple[list[list[Any]], str | None]:
    """The PDF's bookmarks and its own title (``pdf_structure``); none of either where they cannot be read: a
    damaged outline or cover loses the headings, never the text."""
    try:
        toc = pdf.get_toc(simple=True)
    except Exception:  # noqa: BLE001 - pymupdf raises its own errors and RuntimeErrors for broken outlines
        toc = []
    try:
        title = cover_title((pdf.metadata or {}).get("title"), pdf[0]) if pdf.page_count else None
    except Exception:  # noqa: BLE001 - a cover that cannot be laid out must not cost the PDF its text
        title = None
    return toc, title


def picture_coverage(page: Any) -> float:
    """The share of a PDF page's area that its pictures cover (overlaps counted twice, at most 1)."""
    import pymupdf

    area = abs(page.rect) or 1.0
    return min(1.0, sum(abs(pymupdf.Rect(info["bbox"]) & page.rect) for info in page.get_image_info()) / area)
