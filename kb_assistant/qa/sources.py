"""The passages given to the model as users see them: a label for each, a snippet around the sentence that supports the
answer, and whether the answer uses it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document

from kb_assistant.qa.code_blocks import code_block_start
from kb_assistant.qa.grounding import Passage, Verdict
from kb_assistant.qa.table_cells import table_header


@dataclass(frozen=True)
class Source:
    """One cited chunk, as shown to users."""

    number: int
    source: str
    page: int | None
    headings: str | None
    snippet: str
    score: float | None
    used: bool = True
    """Whether the verified answer cites this source (False: a closest passage, not used)."""
    evidence: str | None = None
    """The sentence of the snippet that supports the answer."""
    evidence_header: str | None = None
    """The header row of the table whose row ``evidence`` is: what its cells are."""
    copies: tuple[str, ...] = ()
    """Other files that hold the same passage (see :func:`kb_assistant.retrieval.collapse_copies`)."""


_SNIPPET = 300


def passage_of(doc: Document) -> Passage:
    """A chunk as the grounding check reads it: its heading path, which the chunk's text opens with, is where it
    sits (``context``), not what it says."""
    return Passage(doc.page_content, source_label(doc.metadata), _body_start(doc))


def _body_start(doc: Document) -> int:
    """Where a chunk's own words start: past the heading path its text opens with (the splitter puts it there)."""
    headings = doc.metadata.get("headings")
    return len(headings) + 1 if headings and doc.page_content.startswith(f"{headings}\n") else 0


def _snippet(text: str, start: int | None = None, end: int | None = None, body: int = 0) -> str:
    """About ``_SNIPPET`` characters of a chunk from ``body`` on (past its heading path, which a source's label
    shows), around ``start:end`` when given. A snippet that begins inside a fenced code block opens one, so that
    it is shown as code and the block's closing fence does not open another."""
    begin = body
    if start is not None and end is not None and end - body > _SNIPPET:
        begin = max(body, min(start - 80, end - _SNIPPET))
        line = text.find("\n", begin, start)
        if 0 <= line - begin <= 40:  # a whole first line, not its last few characters
            begin = line + 1
    stop = max(end or 0, begin + _SNIPPET)
    inside = code_block_start(text, begin, body) is not None
    opening = ("…" if begin > body else "") + ("\n```\n" if inside else "")
    return opening.lstrip("\n") + text[begin:stop]


def sources_of(docs: list[Document], verdict: Verdict | None = None) -> list[Source]:
    """Citable descriptions of the chunks given to the model; with a verdict, which ones the answer uses and the
    sentence of each that supports it."""
    out = []
    for i, d in enumerate(docs, start=1):
        span = verdict.evidence.get(i) if verdict else None
        out.append(
            Source(
                number=i,
                source=str(d.metadata.get("source", "?")),
                page=d.metadata.get("page"),
                headings=d.metadata.get("headings"),
                snippet=_snippet(d.page_content, span.start if span else None, span.end if span else None,
                                 _body_start(d)),
                score=d.metadata.get("score"),
                used=verdict is None or span is not None,
                evidence=span.text if span else None,
                evidence_header=table_header(d.page_content, span.start) if span else None,
                copies=tuple(d.metadata.get("copies", ())),
            )
        )
    return out


def source_label(meta: Mapping[str, Any]) -> str:
    """``file, p. N`` for pages, ``file > heading path`` for sections."""
    where = str(meta.get("source", "?"))
    if meta.get("page") is not None:
        where += f", p. {meta['page']}"
    elif meta.get("headings"):
        where += f" > {meta['headings']}"
    return where
