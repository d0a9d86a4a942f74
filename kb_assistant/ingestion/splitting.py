"""Chinese-aware, token-measured splitting.

Text is cut into sentences (。！？；… and English .!? followed by a space, and line breaks), then whole
sentences are packed into chunks of at most ``chunk_size`` tokens of the embedding model, so the model
never silently truncates a chunk. A sentence longer than a chunk is cut at clause marks (，、：,:), and
only as a last resort at token boundaries. Markdown headings become a ``headings`` path that is also
written at the top of each chunk, which helps retrieval find a section by its title; a chunk with no heading above
it begins with its file's title instead, where the file's name gives one (``titles``). A PDF's bookmarks are its
headings, under the file's title (``pdf_structure``). A Markdown table is cut
between rows, never inside one, and every piece repeats the table's header row (``tables.table_blocks``).
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.documents import Document

from kb_assistant.ingestion import long_tail
from kb_assistant.ingestion.pdf_structure import OUTLINE, TITLE
from kb_assistant.ingestion.tables import table_blocks

_SENTENCE_END = re.compile(r"([。！？；…]+[”’」』）】\"']*|[.!?;]+[”’\"')\]]*(?=\s|$)|\n+)")
_CLAUSE_END = re.compile(r"([，、：,:]+)")
# Loaders that write headings as Markdown; the long-tail formats (see long_tail) do too.
_HEADING_FORMATS = {"markdown", "docx", "html", "table"} | {suffix.lstrip(".") for suffix in long_tail.SUFFIXES}


_PRIVATE: dict[int, tuple[Any, Any]] = {}
_PRIVATE_LOCK = threading.Lock()


def _private_copy(shared: Any) -> Any:
    """One unpadded, untruncated copy per shared backend: copying a 250k-word vocabulary takes 0.7 s, too
    much for every ingest run. The copy is only read afterwards (encoding does not change it)."""
    with _PRIVATE_LOCK:
        known = _PRIVATE.get(id(shared))
        if known is None or known[0] is not shared:
            private = copy.deepcopy(shared)
            private.no_padding()
            private.no_truncation()
            known = _PRIVATE[id(shared)] = (shared, private)  # holding `shared` keeps its id unique
        return known[1]


class TokenCounter:
    """Counts and cuts text in the embedding model's tokens (specials excluded).

    It works on a private copy of the fast tokenizer's backend: sentence-transformers switches padding
    and truncation on in the shared backend when it embeds, which would make every count the batch's
    longest.
    """

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self._backend: Any = None

    @classmethod
    def from_backend(cls, backend: Any) -> TokenCounter:
        """A counter over a ``tokenizers.Tokenizer`` of its own (padding and truncation are switched off)."""
        backend.no_padding()
        backend.no_truncation()
        counter = cls(None)
        counter._backend = backend
        return counter

    @property
    def backend(self) -> Any:
        """The private backend copy, made on first use (an unchanged re-ingest never needs it)."""
        if self._backend is None:
            shared = getattr(self.tokenizer, "backend_tokenizer", None)
            if shared is None:
                return None
            self._backend = _private_copy(shared)
        return self._backend

    def count(self, texts: list[str]) -> list[int]:
        """Token count of each text."""
        if not texts:
            return []
        if self.backend is not None:
            return [len(e.ids) for e in self.backend.encode_batch(texts, add_special_tokens=False)]
        encoded = self.tokenizer(texts, add_special_tokens=False, padding=False, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def cut(self, text: str, size: int) -> list[str]:
        """Cut ``text`` into pieces of at most ``size`` tokens, at token boundaries."""
        if self.backend is not None:
            offsets = self.backend.encode(text, add_special_tokens=False).offsets
        else:
            offsets = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
        # A piece re-tokenised on its own may gain a leading word-start token: leave room for it.
        step = max(size - 1, 1)
        pieces, start = [], 0
        for i in range(step, len(offsets), step):
            end = offsets[i][0]
            pieces.append(text[start:end])
            start = end
        pieces.append(text[start:])
        return [p for p in pieces if p.strip()]


def _split_keep(pattern: re.Pattern[str], text: str) -> list[str]:
    parts = pattern.split(text)
    units = [parts[i] + (parts[i + 1] if i + 1 < len(parts) else "") for i in range(0, len(parts), 2)]
    kept: list[str] = []
    for unit in units:
        if unit.strip():
            kept.append(unit)
        elif kept:  # line breaks between sentences stay with the one before: "packages.\n\nWhich", not "packages.Which"
            kept[-1] += unit
    return kept


def markdown_sections(text: str) -> Iterator[tuple[list[str], str]]:
    """Yield (heading path, body) for each section. Headings are the ``#`` headings a CommonMark parser
    (markdown-it-py) reads outside lists and quotes: a ``#`` line in a fenced or indented code block is a comment, not
    a heading. A line over ``===`` or ``---`` stays body text: in scraped and converted text that is a paragraph over
    a rule far more often than a heading. Counting fences line by line took a code comment for
    a heading once a page quoted a fence inside an indented block ("    ```python for i in …", a converted notebook)
    and then read every later fence the wrong way round: chunks of llm_universe's C3.md were filed under
    "# 切分文档" and "# 定义持久化路径", and its real "3.4.2 构建Chroma向量库" was lost."""
    lines = text.splitlines(keepends=True)
    path: list[tuple[int, str]] = []
    body: list[str] = []
    at = 0
    for level, title, start, end in _headings(text):
        body += lines[at:start]
        at = end
        if "".join(body).strip():
            yield [h for _, h in path], "".join(body)
        body = []
        path = [(lv, h) for lv, h in path if lv < level] + [(level, title)]
    body += lines[at:]
    if "".join(body).strip():
        yield [h for _, h in path], "".join(body)


def _headings(text: str) -> Iterator[tuple[int, str, int, int]]:
    """(level, title, first line, line after it) of each top-level ``#`` heading of ``text``, in order."""
    tokens = _markdown().parse(text)
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or token.level != 0 or not token.map:
            continue
        title = tokens[i + 1].content.strip()
        if title and token.markup.startswith("#"):
            yield int(token.tag[1]), title, token.map[0], token.map[1]


@functools.cache
def _markdown() -> Any:
    """The block parser alone (about 15 million characters a second here): headings' inline markup is not needed,
    and the preset's nesting limit bounds what a hostile file's thousand ``>`` cost."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline")


class ChunkPacker:
    """Packs sentences into token-bounded chunks with whole-sentence overlap."""

    def __init__(self, counter: TokenCounter, chunk_size: int, chunk_overlap: int) -> None:
        if chunk_overlap >= chunk_size:
            msg = f"chunk_overlap ({chunk_overlap}) must be smaller than chunk_size ({chunk_size})"
            raise ValueError(msg)
        self.counter = counter
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap

    def _units(self, text: str, budget: int) -> list[tuple[str, int]]:
        sentences = _split_keep(_SENTENCE_END, text)
        units: list[tuple[str, int]] = []
        for sentence, n in zip(sentences, self.counter.count(sentences), strict=True):
            if n <= budget:
                units.append((sentence, n))
                continue
            clauses = _split_keep(_CLAUSE_END, sentence)
            for clause, m in zip(clauses, self.counter.count(clauses), strict=True):
                if m <= budget:
                    units.append((clause, m))
                else:
                    pieces = self.counter.cut(clause, budget)
                    units.extend(zip(pieces, self.counter.count(pieces), strict=True))
        return units

    def pack(self, text: str, budget: int | None = None) -> list[str]:
        """Chunks of ``text``, each at most ``budget`` (default ``chunk_size``) tokens."""
        budget = budget or self.chunk_size
        overlap = min(self.chunk_overlap, budget // 2)
        chunks: list[str] = []
        current: list[tuple[str, int]] = []
        size = 0
        for unit, n in self._units(text, budget):
            if current and size + n > budget:
                chunks.append("".join(u for u, _ in current))
                carried: list[tuple[str, int]] = []
                carried_size = 0
                for u, m in reversed(current):
                    if carried_size + m > overlap or carried_size + m + n > budget:
                        break
                    carried.insert(0, (u, m))
                    carried_size += m
                current, size = carried, carried_size
            current.append((unit, n))
            size += n
        if current:
            chunks.append("".join(u for u, _ in current))
        return [c.strip() for c in chunks if c.strip()]


def split_documents(
    docs: list[Document],
    counter: TokenCounter,
    chunk_size: int,
    chunk_overlap: int,
    title: str | None = None,
) -> list[Document]:
    """Split loaded documents into chunks; metadata is copied and ``headings`` added for Markdown-like text.
    Chunks with no heading above them begin with ``title`` (the file's, ``titles.file_title``) where given."""
    packer = ChunkPacker(counter, chunk_size, chunk_overlap)
    rows = ChunkPacker(counter, chunk_size, 0)  # table rows: no overlap, the header is repeated instead
    chunks: list[Document] = []
    for doc in docs:
        named = document_title(doc.metadata.get(TITLE), title)
        if doc.metadata.get("format") in _HEADING_FORMATS:
            sections = list(markdown_sections(doc.page_content))
        elif doc.metadata.get(OUTLINE):  # a PDF's bookmarks, under its title
            sections = [(([named] if named else []) + list(doc.metadata[OUTLINE]), doc.page_content)]
        else:
            sections = [([], doc.page_content)]
        for headings, body in sections:
            body = without_contents(body)
            if not body.strip():
                continue
            header = " > ".join(headings) or named or ""
            header_tokens = counter.count([header + "\n"])[0] if header else 0
            budget = max(chunk_size - header_tokens, chunk_size // 2)
            if header_tokens > chunk_size // 2:  # absurdly long heading path: keep only the last heading
                header = (headings[-1] if headings else header)[:200]
                header_tokens = counter.count([header + "\n"])[0]
                budget = max(chunk_size - header_tokens, 16)
            for kind, part, caption in _blocks(body, counter, budget):
                if kind == "table":
                    pieces = _table_pieces(part, caption, rows, counter, budget)
                else:
                    pieces = packer.pack(part, budget)
                for piece in pieces:
                    text = f"{header}\n{piece}" if header else piece
                    metadata = {key: value for key, value in doc.metadata.items() if key not in (OUTLINE, TITLE)}
                    if headings:
                        metadata["headings"] = header
                    chunks.append(Document(page_content=text, metadata=metadata))
    return chunks


_CONTENTS_LINE = re.compile(r"[ \t]*(?:[-*+][ \t]+|\d{1,3}[.)][ \t]+)?\[[^\]\n]*\]\(#[^)\s]*\)[ \t]*\r?\n?")
_CONTENTS = re.compile(rf"(?m)^(?:{_CONTENTS_LINE.pattern}(?:[ \t]*\r?\n)*){{3,}}")


def without_contents(body: str) -> str:
    """``body`` without its tables of contents: three or more lines in a row that are each a link to a heading of the
    same page ("- [1、项目背景介绍](#1项目背景介绍)"). Such a list holds every heading's words and no content: its chunk
    was retrieved before the section that answers ("个人知识库助手要求的 Python 版本是多少？" found the contents, not
    "python>=3.9")."""
    return _CONTENTS.sub("", body)


def document_title(own: str | None, file_title: str | None) -> str | None:
    """A document's own title (a PDF's cover) with its file's name where that says more: "南瓜书 (pumpkin book)";
    either alone where the other is missing or holds it."""
    if not own or not file_title:
        return own or file_title
    own_letters, file_letters = _letters(own), _letters(file_title)
    if file_letters in own_letters or own_letters in file_letters:
        return own if len(own) >= len(file_title) else file_title
    return f"{own} ({file_title})"


def _letters(text: str) -> str:
    """``text`` without spaces, case folded: what two titles are compared by."""
    return "".join(text.split()).casefold()


def _blocks(body: str, counter: TokenCounter, budget: int) -> list[tuple[str, str, str]]:
    """A section's prose and tables (``tables.table_blocks``), or the whole section as one block of text where it
    holds a table and fits one chunk: a table's rows go apart from the prose only when the section must be cut.
    Cut at every table, "天机涉及到的技术路线共有四种……" and its four-row table under the same heading were two chunks,
    and the first of them, without "| 模型训练 | 基于InternLM2进行 |", was the one retrieved."""
    blocks = list(table_blocks(body))
    if len(blocks) > 1 and any(kind == "table" for kind, _, _ in blocks) and counter.count([body])[0] <= budget:
        return [("text", body, "")]
    return blocks


def _table_pieces(table: str, caption: str, packer: ChunkPacker, counter: TokenCounter, budget: int) -> list[str]:
    """A Markdown table in pieces of whole rows, each under the table's caption, header row and separator."""
    lines = table.strip().splitlines()
    head = "\n".join(([caption] if caption else []) + lines[:2])
    head_tokens = counter.count([head + "\n"])[0]
    if head_tokens > budget // 2:  # a header too wide to repeat: pack the table as text
        return packer.pack(table, budget)
    rows = [line for line in lines[2:] if line.strip()]
    if not rows:
        return [head]
    room = budget - head_tokens
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    # whole rows: a cell's sentence ends (。) are no place to cut, or a row's last cells lose their first ones
    for row, n in zip(rows, counter.count([row + "\n" for row in rows]), strict=True):
        if current and size + n > room:
            pieces.append("\n".join(current))
            current, size = [], 0
        if n > room:  # a row longer than a chunk: cut as text
            pieces.extend(packer.pack(row, room))
            continue
        current.append(row)
        size += n
    if current:
        pieces.append("\n".join(current))
    return [f"{head}\n{piece}" for piece in pieces]
