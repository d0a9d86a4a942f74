"""A PDF's structure beyond its pages' text: its bookmarks as the heading path, its running headers and footers
dropped, its title from its cover.

Markdown, Word and web pages give each chunk the headings it sits under, which the embedding and the lexical index
read with it; a PDF gave only its file's name ("pumpkin book"), so a textbook's chunk on "2.2 评估方法" carried no word
of its section. Most PDFs made by LaTeX, Word or a publisher carry bookmarks: level, title and page of each section.
Each page's text is cut where a bookmark's title stands on its page (at the start of the page where the title is not
found there), and each piece carries the path of bookmarks it falls under. A line that heads or ends most pages
("→_→ 欢迎去各大电商平台选购纸质版南瓜书《机器学习公式详解》 ←_←", "Page 3 of 40") says nothing of the page: it is
dropped, and the document's title, which such lines often carry, comes from the PDF's metadata or the largest
type on its first page ("南 ⽠ 书") and heads every chunk with the file's name.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from typing import Any

from langchain_core.documents import Document

from kb_assistant.cjk import HAN

OUTLINE = "outline"
"""The metadata key of a piece's bookmark path (a list of titles, outermost first); the splitter makes it the
chunk's ``headings`` and drops the key."""
TITLE = "document_title"
"""The metadata key of the title a PDF gives itself; the splitter puts it before the file's name and drops the key."""

EDGE_LINES = 3
"""How many lines at the top and at the bottom of a page may be a running header or footer."""
RUNNING_SHARE = 0.5
"""A line at a page's edge that stands (digits aside) at the edge of at least this share of the pages is furniture."""
MIN_PAGES = 4
"""Fewer pages than this tell no running line from a repeated one."""


def drop_running_lines(pages: list[Document]) -> list[Document]:
    """``pages`` without the lines that head or end most of them (digits read as one: page numbers change), but
    for the first time each stands."""
    if len(pages) < MIN_PAGES:
        return pages
    edges = [_edge_keys(doc.page_content) for doc in pages]
    counts = Counter(key for keys in edges for key in set(keys.values()))
    running = {key for key, n in counts.items() if n >= max(3, RUNNING_SHARE * len(pages))}
    if not running:
        return pages
    kept, seen = [], set()
    for doc, keys in zip(pages, edges, strict=True):
        lines = doc.page_content.split("\n")
        # the first time a running line stands, it stays: a table's header row repeated on every page it runs over
        # is also the header of its first rows
        text = "\n".join(line for i, line in enumerate(lines) if keys.get(i) not in seen)
        seen |= running & set(keys.values())
        kept.append(Document(page_content=text, metadata=doc.metadata))
    return kept


def _edge_keys(text: str) -> dict[int, str]:
    """The first and last :data:`EDGE_LINES` non-blank lines of a page, by line index, with digits as '#'."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    edge = filled[:EDGE_LINES] + filled[-EDGE_LINES:]
    return {i: re.sub(r"\d+", "#", " ".join(lines[i].split())) for i in edge}


def cover_title(metadata_title: str | None, first_page: Any) -> str | None:
    """The title a PDF gives itself: its metadata's, else the largest type on its first page where that is short
    and clearly larger than the rest (a cover, a paper's title); None otherwise. Letters spaced apart for show
    ("南  ⽠  书") are joined, and Kangxi radicals read as the characters they stand for."""
    title = " ".join((metadata_title or "").split())
    if len(title) >= 2 and not title.lower().startswith(("untitled", "microsoft word", "document")):
        return title
    spans = [(float(span["size"]), span["text"]) for block in first_page.get_text("dict").get("blocks", [])
             for line in block.get("lines", []) for span in line.get("spans", []) if span["text"].strip()]
    if len(spans) < 2:
        return None
    largest, typical = max(size for size, _ in spans), statistics.median(size for size, _ in spans)
    if largest < 1.5 * typical:
        return None
    words = [unicodedata.normalize("NFKC", text) for size, text in spans if size >= 0.95 * largest]
    title = " ".join(" ".join(words).split())
    title = re.sub(rf"(?<={HAN.pattern})\s+(?={HAN.pattern})", "", title)
    return title if 2 <= len(title) <= 60 else None


_SECTION_NUMBER = re.compile(r"^[ \t]*(?:第\s*[\d一二三四五六七八九十百]+\s*[章节部分篇]|[\dA-Z]+(?:\.\d+)*\.?)[ \t]*$")
"""A line that holds only a section's number ("1.2", "第1 章"): a PDF often sets it apart from the title after it."""


def outline_sections(toc: list[list[Any]], pages: list[Document]) -> list[Document]:
    """``pages`` (one Document a page, ``metadata["page"]`` 1-based) cut at the bookmarks of ``toc`` (pymupdf's
    ``get_toc()``: [level, title, page]), each piece with its bookmark path under :data:`OUTLINE`. The pages as
    they are where the PDF has no bookmarks."""
    entries = sorted(((int(page), order, int(level), " ".join(str(title).split()))
                      for order, (level, title, page, *_) in enumerate(toc)), key=lambda e: (e[0], e[1]))
    entries = [e for e in entries if e[0] >= 1 and e[3]]
    if not entries:
        return pages
    path: list[tuple[int, str]] = []
    pieces: list[Document] = []
    next_entry = 0
    for doc in pages:
        number = int(doc.metadata.get("page") or 0)
        while next_entry < len(entries) and entries[next_entry][0] < number:  # bookmarks on pages with no text
            path = _enter(path, entries[next_entry][2], entries[next_entry][3])
            next_entry += 1
        text, last = doc.page_content, 0
        while next_entry < len(entries) and entries[next_entry][0] == number:
            _, _, level, title = entries[next_entry]
            cut = _title_start(text, title, last)
            _keep(pieces, doc, text[last:cut], path)
            path, last = _enter(path, level, title), cut
            next_entry += 1
        _keep(pieces, doc, text[last:], path)
    return pieces


def _enter(path: list[tuple[int, str]], level: int, title: str) -> list[tuple[int, str]]:
    """The path after a bookmark of ``level``: its ancestors, then it."""
    return [entry for entry in path if entry[0] < level] + [(level, title)]


def _keep(pieces: list[Document], page: Document, text: str, path: list[tuple[int, str]]) -> None:
    """Add ``text`` of ``page`` under ``path`` (nothing for blank text)."""
    if text.strip():
        pieces.append(Document(page_content=text, metadata={**page.metadata, OUTLINE: [title for _, title in path]}))


def _title_start(text: str, title: str, start: int) -> int:
    """Where the line that opens the section titled ``title`` starts in ``text``, at or after ``start``: the
    title's line, or the line before it where that line holds only the section's number ("1.2\\n基本术语"); its
    spaces and line breaks may differ. ``start`` where the title is not found (the section starts at the top)."""
    letters = [re.escape(c) for c in title if not c.isspace()]
    match = re.compile(r"\s*".join(letters)).search(text, start) if letters else None
    if match is None:
        return start
    line = text.rfind("\n", start, match.start()) + 1
    line = max(line, start)
    before = text.rfind("\n", start, max(line - 1, start)) + 1
    if line > start and before >= start and _SECTION_NUMBER.match(text[before : line - 1]):
        return max(before, start)
    return line
