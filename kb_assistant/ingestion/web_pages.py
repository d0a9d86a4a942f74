"""The main content of a saved web page, without its navigation, menus, footers and link lists.

A page saved from an intranet or a university site carries the site's menus (often twice), footers and link
farms around its text. Split as it is, each page gives chunks of menu items that look alike on every page and
crowd the real text out of the top results. ``trafilatura`` finds the main content; its Markdown keeps tables
as rows, and the page's title (its ``<h1>`` where the ``<title>`` is only the site name) becomes the first
heading, so every chunk of the page keeps it as its heading path.

HTML fragments and small documents (no page chrome) are left to the plain HTML loader: there is nothing to
remove, and trafilatura drops short texts it cannot score.
"""

from __future__ import annotations

import logging
import re
from typing import Any

logger = logging.getLogger(__name__)
_CHROME = re.compile(r"nav|menu|header|footer|sidebar|breadcrumb|copyright|banner", re.IGNORECASE)
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}", re.MULTILINE)
_BOLD_LINE = re.compile(r"^\*\*([^*\n]{1,40}?[^*\n。.：:；;，,])\*\*$", re.MULTILINE)
"""A paragraph that is one short bold phrase, not a sentence: a section title ("**五、招生计划**"), which pages
write as <strong> and trafilatura as bold. As a heading it heads the chunks of its section, so that "2021年澳门保送
生招生计划多少人？" finds "20人（根据生源情况确定最终名额）" under it."""
MIN_LINKS = 20
"""A page with at least this many links has navigation to remove, whatever its markup calls it."""
LINK_DENSITY = 0.6
"""A block whose text is at least this share link text is a menu or a link list."""


def is_full_page(soup: Any) -> bool:
    """Whether parsed HTML is a whole web page with chrome around its content (not a fragment or a bare doc)."""
    if soup.body is None:
        return False
    if soup.find(["nav", "header", "footer", "aside"]) is not None:
        return True
    if len(soup.find_all("a", limit=MIN_LINKS)) >= MIN_LINKS:
        return True
    return any(_CHROME.search(" ".join(tag.get("class", [])) + " " + str(tag.get("id", "")))
               for tag in soup.find_all(["div", "ul", "section"], limit=400))


def drop_link_lists(soup: Any) -> int:
    """Remove blocks that are mostly links (menus, link farms, "related" lists) from a page where
    trafilatura found no main content it could keep; blocks holding a table or the page's <h1> stay.
    Returns how many blocks went."""
    removed = 0
    for block in soup.find_all(["ul", "ol", "div", "p", "section", "dl"]):
        if getattr(block, "decomposed", False):  # inside a block removed already
            continue
        links = block.find_all("a")
        if len(links) < 3 or block.find(["table", "h1"]) is not None:
            continue
        text = len(block.get_text("", strip=True))
        linked = sum(len(a.get_text("", strip=True)) for a in links)
        if text and linked / text >= LINK_DENSITY:
            block.decompose()
            removed += 1
    return removed


def main_content(html: str, had_tables: bool) -> tuple[str, str] | None:
    """(title, Markdown text) of the page's main content, or None where extraction finds none or would lose
    the page's tables (then the caller keeps the whole page)."""
    import trafilatura

    text = trafilatura.extract(html, output_format="markdown", include_tables=True, include_comments=False,
                               include_links=False, include_images=False, favor_recall=True, deduplicate=False)
    if not text or len(text.strip()) < 20:
        return None
    if had_tables and not _TABLE_RULE.search(text):
        logger.debug("main-content extraction dropped the page's tables; keeping the whole page")
        return None
    metadata = trafilatura.extract_metadata(html, extensive=False)  # the title only: no date search (dateparser)
    title = (metadata.title or "").strip() if metadata is not None else ""
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = _BOLD_LINE.sub(lambda m: f"## {m.group(1).strip()}", text)
    first = text.lstrip().splitlines()[0].lstrip("# ").strip() if text.strip() else ""
    if title and first != title:
        text = f"# {title}\n\n{text}"
    return title, text
