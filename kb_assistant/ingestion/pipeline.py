"""load -> split -> embed -> index, incrementally: unchanged files cost one hash, changed files replace
their chunks, and a re-run after a crash finishes the job without duplicates (chunk ids are content
hashes kept by LangChain's record manager; file hashes are kept in ``kb_files``)."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from kb_assistant.config import Settings
from kb_assistant.errors import LoaderError, NoTextError
from kb_assistant.ingestion.discovery import FoundFile, discover_files, display_name, valid_name
from kb_assistant.ingestion.loaders import LoadOptions, load_bytes, unsupported_reason
from kb_assistant.ingestion.splitting import TokenCounter, split_documents
from kb_assistant.kb import FileRecord, KBStore

if TYPE_CHECKING:
    from kb_assistant.embeddings import LocalEmbeddings

logger = logging.getLogger(__name__)

Status = Literal["added", "updated", "unchanged", "removed", "failed", "skipped"]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    source: str
    status: Status
    chunks: int = 0
    reason: str | None = None


@dataclass
class IngestReport:
    """The result of one ingest run."""

    kb: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        """Number of files with this status."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[FileOutcome]:
        """Files that could not be indexed, with reasons."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed


class IngestProgress(Protocol):
    """Receives progress events (the CLI draws a bar; the library never prints)."""

    def files_found(self, total: int) -> None: ...

    def file_done(self, outcome: FileOutcome) -> None: ...

    def chunks_written(self, count: int) -> None: ...

    def pages_read(self, source: str, done: int, total: int) -> None:
        """OCR progress inside one long scan (optional: progress objects without it are not called)."""


class _NoProgress:
    def files_found(self, total: int) -> None:
        pass

    def file_done(self, outcome: FileOutcome) -> None:
        pass

    def chunks_written(self, count: int) -> None:
        pass


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


@dataclass
class _Pending:
    found: FoundFile
    known: FileRecord | None
    sha256: str
    chunks: list[Document]


class _PrimedEmbeddings(Embeddings):
    """Serves vectors computed ahead in one big batch; computes (and counts) only what was not primed."""

    def __init__(self, inner: LocalEmbeddings) -> None:
        self.inner = inner
        self.identity = inner.identity
        self.dimension = inner.dimension
        self.vectors: dict[str, list[float]] = {}

    def prime(self, texts: list[str]) -> None:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        self.vectors.update(zip(missing, self.inner.embed_documents(missing), strict=True))

    def clear(self) -> None:
        self.vectors.clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.prime(texts)
        return [self.vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def _groups(items: list[FoundFile], size: int) -> Iterator[list[FoundFile]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Ingestor:
    """Indexes files into one knowledge base. Build once, call ``run`` as often as needed."""


    def __init__(self, settings: Settings, embeddings: LocalEmbeddings, store: KBStore | None = None) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.store = store or KBStore(settings)
        if self.store.exists():  # fail on a model mismatch before any work is done
            self.store.collection(embeddings)
        self.counter = TokenCounter(embeddings.tokenizer)
        self.load_options = LoadOptions(ocr=settings.ocr, ocr_dpi=settings.ocr_dpi,
                                        html_main_content=settings.html_main_content)
        self.progress: IngestProgress = _NoProgress()
        self.chunk_size = min(settings.chunk_size, embeddings.max_tokens)

    def chunk(self, found: FoundFile, data: bytes, sha256: str) -> list[Document]:
        """Load and split one file into chunks with their metadata."""
        options = self.load_options
        report_pages = getattr(self.progress, "pages_read", None)
        if report_pages is not None:
            source = display_name(found.source)
            options = dataclasses.replace(options, on_page=lambda done, total: report_pages(source, done, total))
        chunks = split_documents(
            load_bytes(found.path, data, options), self.counter, self.chunk_size, self.settings.chunk_overlap
        )
        for index, chunk in enumerate(chunks):
            chunk.metadata.update(
                source=found.source,
                path=str(found.path),
                file_hash=sha256,
                chunk_index=index,
                kb=self.settings.kb,
            )
        return chunks

    def _prepare(self, found: FoundFile, known: FileRecord | None) -> FileOutcome | _Pending:
        """Read and split one file; a final outcome (unchanged, failed, skipped) or work to index."""
        source = display_name(found.source)
        if found.problem:
            return FileOutcome(source, "failed", reason=found.problem)
        if not valid_name(found.path):
            return FileOutcome(source, "failed", reason="file name is not valid UTF-8; rename the file")
        unsupported = unsupported_reason(found.path)
        if unsupported:
            return FileOutcome(source, "skipped", reason=unsupported)
        try:
            data = _read(found, self.settings.max_file_mb * 2**20)
            sha256 = hashlib.sha256(data).hexdigest()
            if known is not None and known.sha256 == sha256:
                return FileOutcome(source, "unchanged", chunks=known.chunks)
            chunks = self.chunk(found, data, sha256)
            if not chunks:
                raise NoTextError("no text could be extracted")
        except NoTextError as e:  # nothing to index, nothing wrong: re-running must not fail forever
            if known is not None:  # it had text before: its old chunks must not answer questions any more
                self.deleted += self.store.remove_sources([str(found.path)])
            return FileOutcome(source, "skipped", reason=str(e))
        except LoaderError as e:
            return FileOutcome(source, "failed", reason=str(e))
        except Exception as e:  # a parser bug must cost one file, not the run
            logger.exception("unexpected error while reading %s", source)
            return FileOutcome(source, "failed", reason=f"unexpected {type(e).__name__}: {e}")
        return _Pending(found, known, sha256, chunks)

    def _commit(self, pending: list[_Pending]) -> list[FileOutcome]:
        """Index prepared files' chunks in one call (one Chroma write, one record transaction, one lexical
        index commit)."""
        if not pending:
            return []
        now = time.time()
        result = self.store.write_files(
            [c for p in pending for c in p.chunks],
            [
                FileRecord(
                    path=str(p.found.path),
                    root=str(p.found.root),
                    source=p.found.source,
                    sha256=p.sha256,
                    chunks=len(p.chunks),
                    updated_at=now,
                )
                for p in pending
            ],
            self.cache,
        )
        self.written += result["num_added"] + result["num_updated"]
        self.deleted += result["num_deleted"]
        return [
            FileOutcome(display_name(p.found.source), "added" if p.known is None else "updated", chunks=len(p.chunks))
            for p in pending
        ]

    def run(
        self,
        paths: list[Path],
        *,
        prune: bool = False,
        progress: IngestProgress | None = None,
        wait: float | None = None,
    ) -> IngestReport:
        """Index ``paths`` (files or folders); with ``prune``, drop files gone from those folders."""
        found = list(discover_files(paths))
        folders = [Path(os.path.abspath(p)) for p in paths if Path(p).is_dir()] if prune else []
        return self.run_files(found, prune_folders=folders, progress=progress, wait=wait)

    def run_files(
        self,
        found: list[FoundFile],
        *,
        prune_folders: list[Path] | None = None,
        progress: IngestProgress | None = None,
        wait: float | None = None,
    ) -> IngestReport:
        """Index these files; records of files under ``prune_folders`` that are not among them are removed."""
        progress = progress or _NoProgress()
        self.progress = progress
        started = time.perf_counter()
        report = IngestReport(kb=self.settings.kb)
        progress.files_found(len(found))
        with self.store.write_lock(wait):
            self.cache = _PrimedEmbeddings(self.embeddings)
            self.store.collection(self.embeddings, create=True)  # creates the collection, checks the model
            self.written = self.deleted = 0
            known = self.store.file_records()
            self.store.lexical_index()  # caught up with the change log before this run adds to it
            for group in _groups(found, self.settings.ingest_group_files):
                prepared = [(item, self._prepare(item, known.get(str(item.path)))) for item in group]
                # Embed the chunks of every new file in the group in one length-sorted batch: per-file calls
                # of a few chunks each would leave the model starved. Changed files are left to index(),
                # which embeds only their chunks that really changed.
                pending = [p for _, p in prepared if isinstance(p, _Pending)]
                self.cache.prime([c.page_content for p in pending if p.known is None for c in p.chunks])
                before = self.written
                committed = iter(self._commit(pending))
                outcomes = [next(committed) if isinstance(p, _Pending) else p for _, p in prepared]
                progress.chunks_written(self.written - before)
                for outcome in outcomes:
                    report.outcomes.append(outcome)
                    progress.file_done(outcome)
                self.cache.clear()
            if prune_folders:
                report.outcomes.extend(self._prune(prune_folders, {str(f.path) for f in found}, known))
            # every run, not only changing ones: it finishes an interrupted sync and builds the English index of
            # a KB made before it existed; with nothing new it reads one empty page of the change log
            self.store.sync()
        report.chunks_written, report.chunks_deleted = self.written, self.deleted
        report.seconds = time.perf_counter() - started
        return report

    def _prune(self, folders: list[Path], present: set[str], known: dict[str, FileRecord]) -> list[FileOutcome]:
        gone = [
            record
            for path, record in known.items()
            if path not in present and any(_is_under(path, str(folder)) for folder in folders)
        ]
        self.deleted += self.store.remove_sources([r.path for r in gone])
        return [FileOutcome(r.source, "removed", chunks=r.chunks) for r in gone]


def ingest(
    paths: list[Path],
    settings: Settings,
    *,
    embeddings: LocalEmbeddings | None = None,
    prune: bool = False,
    progress: IngestProgress | None = None,
    wait: float | None = None,
) -> IngestReport:
    """Index files or folders into ``settings.kb`` (see ``Ingestor``)."""
    if embeddings is None:
        from kb_assistant.embeddings import make_embeddings

        embeddings = make_embeddings(settings)
    return Ingestor(settings, embeddings).run(paths, prune=prune, progress=progress, wait=wait)


def remove_paths(paths: list[Path], settings: Settings) -> list[FileOutcome]:
    """Remove files (or everything under folders) from the KB, whether or not they still exist on disk."""
    store = KBStore(settings)
    targets = [os.path.abspath(p) for p in paths]
    with store.write_lock():
        records = store.file_records()
        chosen = [r for path, r in records.items() if any(path == t or _is_under(path, t) for t in targets)]
        store.remove_sources([r.path for r in chosen])
    return [FileOutcome(r.source, "removed", chunks=r.chunks) for r in chosen]


def reindex(settings: Settings, embeddings: LocalEmbeddings | None = None, progress: IngestProgress | None = None) -> IngestReport:
    """Rebuild a KB from the folders it was ingested from (after changing the embedding model, say)."""
    store = KBStore(settings)
    records = sorted(store.file_records().values(), key=lambda r: r.path)
    if embeddings is None:
        from kb_assistant.embeddings import make_embeddings

        embeddings = make_embeddings(settings)
    with store.write_lock():
        store.drop()
    found = [FoundFile(root=Path(r.root), path=Path(r.path)) for r in records]
    report = Ingestor(settings, embeddings, store).run_files(found, progress=progress)
    report.outcomes = [
        FileOutcome(o.source, "removed", reason="file no longer exists") if o.status == "failed" and not f.path.exists() else o
        for o, f in zip(report.outcomes, found, strict=True)
    ]
    return report


def _is_under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")
