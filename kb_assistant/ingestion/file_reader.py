"""The per-file half of ingest: read, hash, load and split one file into chunks, or say why not.

It needs no embedding model and no store, so it runs the same in the ingesting process or in worker processes
(:mod:`kb_assistant.ingestion.workers`); what it returns pickles.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.documents import Document

from kb_assistant.errors import LoaderError, NoTextError
from kb_assistant.ingestion.discovery import FoundFile, display_name, valid_name
from kb_assistant.ingestion.loaders import LoadOptions, load_bytes, unsupported_reason
from kb_assistant.ingestion.splitting import TokenCounter, split_documents
from kb_assistant.ingestion.status import FileOutcome
from kb_assistant.ingestion.titles import file_title

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadOptions:
    """How files become chunks (from the settings; the same in every worker)."""

    load: LoadOptions
    chunk_size: int
    chunk_overlap: int
    max_bytes: float
    kb: str
    file_titles: bool = True
    """Chunks with no heading above them begin with the title their file's name gives (``titles``)."""
    search_tokens: bool = False
    """Also split each chunk into the lexical index's search tokens (in worker processes, where it runs in
    parallel; the ingesting process would compute the same tokens one chunk at a time)."""


@dataclass
class ReadResult:
    """One file read: a final ``outcome`` (failed, skipped, unchanged), or its ``chunks`` to index."""

    found: FoundFile
    outcome: FileOutcome | None = None
    sha256: str = ""
    chunks: list[Document] = field(default_factory=list)
    had_text: bool = True
    """False when a file that yields no text any more was read: its old chunks must go."""
    tokens: list[tuple[str, ...]] | None = None
    """Each chunk's search tokens (``kb.tokens.tokenize``), when the options ask for them."""


def _read(found: FoundFile, max_bytes: float) -> bytes:
    try:
        size = found.path.stat().st_size
        if size > max_bytes:
            msg = f"file is {size / 2**20:.0f} MB, over max_file_mb={max_bytes / 2**20:g}; raise KB_MAX_FILE_MB to index it"
            raise LoaderError(msg)
        return found.path.read_bytes()
    except PermissionError as e:
        msg = "permission denied; make the file readable to index it"
        raise LoaderError(msg) from e
    except OSError as e:
        if e.errno == errno.ELOOP:
            msg = "symlink loop; fix or remove the link"
        elif found.path.is_symlink() and not found.path.exists():
            msg = "broken symlink; fix or remove the link"
        else:
            msg = f"cannot read file: {e.strerror or e}"
        raise LoaderError(msg) from e


class FileReader:
    """Reads files into chunks with their metadata (source, path, file hash, chunk index, KB)."""

    def __init__(self, options: ReadOptions, counter: TokenCounter) -> None:
        self.options = options
        self.counter = counter

    def chunk(self, found: FoundFile, data: bytes, sha256: str,
              on_page: Callable[[int, int], None] | None = None) -> list[Document]:
        """Load and split one file's bytes into chunks."""
        load = self.options.load if on_page is None else dataclasses.replace(self.options.load, on_page=on_page)
        title = file_title(found.source) if self.options.file_titles else None
        chunks = split_documents(load_bytes(found.path, data, load), self.counter, self.options.chunk_size,
                                 self.options.chunk_overlap, title)
        for index, chunk in enumerate(chunks):
            chunk.metadata.update(source=found.source, path=str(found.path), file_hash=sha256, chunk_index=index,
                                  kb=self.options.kb)
        return chunks

    def read(self, found: FoundFile, known_sha256: str | None,
             on_page: Callable[[int, int], None] | None = None) -> ReadResult:
        """Read one file; ``known_sha256`` is the hash indexed last time (an equal file is "unchanged")."""
        source = display_name(found.source)
        if found.problem:
            return ReadResult(found, FileOutcome(source, "failed", reason=found.problem))
        if not valid_name(found.path):
            return ReadResult(found, FileOutcome(source, "failed", reason="file name is not valid UTF-8; rename the file"))
        unsupported = unsupported_reason(found.path)
        if unsupported:
            return ReadResult(found, FileOutcome(source, "skipped", reason=unsupported))
        try:
            data = _read(found, self.options.max_bytes)
            sha256 = hashlib.sha256(data).hexdigest()
            if known_sha256 == sha256:
                return ReadResult(found, FileOutcome(source, "unchanged"), sha256=sha256)
            chunks = self.chunk(found, data, sha256, on_page)
            if not chunks:
                raise NoTextError("no text could be extracted")
        except NoTextError as e:  # nothing to index, nothing wrong: re-running must not fail forever
            return ReadResult(found, FileOutcome(source, "skipped", reason=str(e)), had_text=False)
        except LoaderError as e:
            return ReadResult(found, FileOutcome(source, "failed", reason=str(e)))
        except Exception as e:  # a parser bug must cost one file, not the run
            logger.exception("unexpected error while reading %s", source)
            return ReadResult(found, FileOutcome(source, "failed", reason=f"unexpected {type(e).__name__}: {e}"))
        tokens = None
        if self.options.search_tokens:
            from kb_assistant.kb.tokens import tokenize

            tokens = [tuple(tokenize(c.page_content)) for c in chunks]
        return ReadResult(found, sha256=sha256, chunks=chunks, tokens=tokens)
