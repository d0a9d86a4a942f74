"""load -> split -> embed -> index, incrementally: unchanged files cost one hash, changed files replace
their chunks, and a re-run after a crash finishes the job without duplicates (chunk ids are content
hashes kept by LangChain's record manager; file hashes are kept in ``kb_files``)."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from kb_assistant.config import Settings
from kb_assistant.ingestion.discovery import FoundFile, discover_files, display_name
from kb_assistant.ingestion.file_reader import FileReader, ReadOptions, ReadResult
from kb_assistant.ingestion.grouping import GroupSizer
from kb_assistant.ingestion.loaders import LoadOptions
from kb_assistant.ingestion.splitting import TokenCounter
from kb_assistant.ingestion.status import FileOutcome, IngestReport
from kb_assistant.ingestion.workers import ReadAhead
from kb_assistant.kb import FileRecord, KBStore
from kb_assistant.kb.tokens import known_tokens

if TYPE_CHECKING:
    from kb_assistant.embeddings import LocalEmbeddings

logger = logging.getLogger(__name__)

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


_WORKERS_FROM_FILES = 64
"""Runs of fewer files are read in the ingesting process (starting a worker costs about a second)."""
_READ_AHEAD_FILES = 64
"""Files the workers read ahead of the embedding model at least (two groups' worth once groups hold more)."""


def ingest_workers(settings: Settings, files: int) -> int:
    """Worker processes that read files for this run: none for a few files (starting one costs about a
    second), else the setting, by default one per core beyond the two the embedding model keeps busy, at most 8
    (on 16 cores, 8 read 1,875 chunks/s and 15 read 1,517: the ingesting process takes their results one by one)."""
    if files < (2 * settings.ingest_group_files if settings.ingest_group_files else _WORKERS_FROM_FILES):
        return 0
    if settings.ingest_workers is not None:
        return settings.ingest_workers
    return max(0, min((os.cpu_count() or 1) - 2, 8))


class Ingestor:
    """Indexes files into one knowledge base. Build once, call ``run`` as often as needed."""


    def __init__(self, settings: Settings, embeddings: LocalEmbeddings, store: KBStore | None = None) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.store = store or KBStore(settings)
        if self.store.exists():  # fail on a model mismatch before any work is done
            self.store.collection(embeddings)
        load = LoadOptions(ocr=settings.ocr, ocr_dpi=settings.ocr_dpi, ocr_model=settings.ocr_model,
                           html_main_content=settings.html_main_content)
        options = ReadOptions(load=load, chunk_size=min(settings.chunk_size, embeddings.max_tokens),
                              chunk_overlap=settings.chunk_overlap, file_titles=settings.file_titles,
                              max_bytes=settings.max_file_mb * 2**20,
                              kb=settings.kb)
        self.reader = FileReader(options, TokenCounter(embeddings.tokenizer))

    def chunk(self, found: FoundFile, data: bytes, sha256: str) -> list[Document]:
        """Load and split one file into chunks with their metadata."""
        return self.reader.chunk(found, data, sha256)

    def _outcome(self, read: ReadResult, known: FileRecord | None) -> FileOutcome | ReadResult:
        """A file's final outcome, or the read file to index."""
        if read.outcome is None:
            return read
        if read.outcome.status == "unchanged" and known is not None:
            return dataclasses.replace(read.outcome, chunks=known.chunks)
        if not read.had_text and known is not None:  # it had text before: its old chunks must not answer any more
            self.deleted += self.store.remove_sources([str(read.found.path)])
        return read.outcome

    def _commit(self, pending: list[tuple[ReadResult, FileRecord | None]]) -> list[FileOutcome]:
        """Index prepared files' chunks in one call (one Chroma write, one record transaction, one lexical
        index commit)."""
        if not pending:
            return []
        now = time.time()
        result = self.store.write_files(
            [c for read, _ in pending for c in read.chunks],
            [
                FileRecord(path=str(read.found.path), root=str(read.found.root), source=read.found.source,
                           sha256=read.sha256, chunks=len(read.chunks), updated_at=now)
                for read, _ in pending
            ],
            self.cache,
        )
        self.written += result["num_added"] + result["num_updated"]
        self.deleted += result["num_deleted"]
        return [
            FileOutcome(display_name(read.found.source), "added" if known is None else "updated", chunks=len(read.chunks))
            for read, known in pending
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
        started = time.perf_counter()
        report = IngestReport(kb=self.settings.kb)
        progress.files_found(len(found))
        sizer = GroupSizer(self.settings.ingest_group_files)
        with self.store.write_lock(wait):
            self.cache = _PrimedEmbeddings(self.embeddings)
            self.store.collection(self.embeddings, create=True)  # creates the collection, checks the model
            self.written = self.deleted = 0
            known = self.store.file_records()
            self.store.lexical_index()  # caught up with the change log before this run adds to it
            workers = ingest_workers(self.settings, len(found))
            # The next group is read (by the workers) while this one is embedded and indexed.
            fixed = self.settings.ingest_group_files
            with ReadAhead(self.reader, workers, window=2 * fixed if fixed else _READ_AHEAD_FILES,
                           on_pages=getattr(progress, "pages_read", None)) as ahead:
                reads = ahead.results((f, r.sha256 if (r := known.get(str(f.path))) else None) for f in found)
                left = len(found)
                while left:
                    prepared: list[FileOutcome | ReadResult] = []
                    chunks = 0
                    while left and not sizer.full(len(prepared), chunks):
                        read = next(reads)
                        left -= 1
                        prepared.append(self._outcome(read, known.get(str(read.found.path))))
                        chunks += len(read.chunks) if isinstance(prepared[-1], ReadResult) else 0
                    if not fixed:  # two groups ahead, as groups grow
                        ahead.window = max(ahead.window, 2 * len(prepared))
                    # Embed the chunks of every new file in the group in one length-sorted batch: per-file calls
                    # of a few chunks each would leave the model starved. Changed files are left to index(),
                    # which embeds only their chunks that really changed.
                    pending = [(p, known.get(str(p.found.path))) for p in prepared if isinstance(p, ReadResult)]
                    group_started = time.perf_counter()
                    self.cache.prime([c.page_content for p, k in pending if k is None for c in p.chunks])
                    before = self.written
                    # the workers' search tokens, taken by the lexical index as it indexes these chunks
                    with known_tokens({c.page_content: t for p, _ in pending if p.tokens
                                       for c, t in zip(p.chunks, p.tokens, strict=True)}):
                        committed = iter(self._commit(pending))
                    sizer.observe(chunks, time.perf_counter() - group_started)
                    outcomes = [next(committed) if isinstance(p, ReadResult) else p for p in prepared]
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
