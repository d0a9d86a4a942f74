"""Files read ahead of the embedding model, in worker processes.

Parsing a PDF, a slide deck or a scanned page, splitting it and counting its tokens is single-threaded Python;
the embedding model is not. :class:`ReadAhead` keeps ``workers`` processes reading the next files while the
ingesting process embeds and indexes the ones already read, and hands the results back in file order. With
``workers = 0`` the same files are read in this process, one at a time, when asked for.

A worker that dies (a parser crashing in native code, the kernel's OOM killer) breaks its pool: the files that
were in flight are read again in a new pool, and one that breaks a pool twice is read alone, in a process of its
own, so that only the file that kills its reader is reported as failed.
"""

from __future__ import annotations

import itertools
import logging
import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Self

# loky's processes start fresh (fork is unsafe once torch's threads run) and, unlike multiprocessing's spawn, never
# re-import the caller's main module: a script or notebook that ingests needs no `if __name__ == "__main__"`.
from loky import ProcessPoolExecutor
from loky.backend.context import get_context

from kb_assistant.ingestion.discovery import FoundFile, display_name
from kb_assistant.ingestion.file_reader import FileReader, ReadOptions, ReadResult
from kb_assistant.ingestion.splitting import TokenCounter
from kb_assistant.ingestion.status import FileOutcome

logger = logging.getLogger(__name__)

PageProgress = Callable[[str, int, int], None]
_POLL_S = 0.2

# In a worker process: its reader, and where OCR page progress goes.
_reader: FileReader | None = None
_pages: Any = None


def _start_worker(options: ReadOptions, tokenizer_json: str, pages: Any) -> None:
    global _reader, _pages
    import dataclasses

    from tokenizers import Tokenizer

    from kb_assistant.ingestion import ocr

    ocr.THREADS = 1  # the workers are one per core beyond the embedding model's two: OCR engines take all by default
    options = dataclasses.replace(options, search_tokens=True)  # here they are computed in parallel
    _reader = FileReader(options, TokenCounter.from_backend(Tokenizer.from_str(tokenizer_json)))
    _pages = pages


def _pages_of(found: FoundFile, report: PageProgress | None) -> Callable[[int, int], None] | None:
    """OCR page progress of one file, as ``report(source, done, total)``."""
    if report is None:
        return None
    source = display_name(found.source)
    return lambda done, total: report(source, done, total)


def _read_in_worker(files: list[tuple[FoundFile, str | None]]) -> list[ReadResult]:
    assert _reader is not None, "worker started without its reader"
    pages = _pages
    report = None if pages is None else (lambda source, done, total: pages.put((source, done, total)))
    return [_reader.read(found, known, _pages_of(found, report)) for found, known in files]


@dataclass
class _Entry:
    found: FoundFile
    known_sha256: str | None
    future: Future[list[ReadResult]] | None = None
    index: int = 0  # its place in the future's batch
    attempts: int = 0


class ReadAhead:
    """Reads files into chunks ahead of their use: ``results(files)`` yields a :class:`ReadResult` per file, in
    order, while up to ``window`` later files are being read by ``workers`` processes, ``batch`` files a task
    (one task per file left 16 cores at 3.2x one process on 18,406 small files: handing out tasks and unpickling
    their results took the ingesting process's whole time)."""

    def __init__(self, reader: FileReader, workers: int, window: int, on_pages: PageProgress | None = None,
                 batch: int = 4) -> None:
        self.reader = reader
        self.workers = workers
        self.batch = batch
        self.window = max(window, 2 * workers * batch)
        self.on_pages = on_pages
        self._context = get_context("loky")
        self._pages: Any = self._context.Queue() if (workers and on_pages) else None
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (files not yet read are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, kill_workers=True)
            self._pool = None
        if self._pages is not None:
            self._drain_pages()
            self._pages.close()
            self._pages = None

    def results(self, files: Iterable[tuple[FoundFile, str | None]]) -> Iterator[ReadResult]:
        """Each file read (``(file, sha256 indexed last time or None)``), in the order given."""
        if not self.workers:
            for found, known in files:
                yield self.reader.read(found, known, _pages_of(found, self.on_pages))
            return
        todo = iter(files)
        pending: deque[_Entry] = deque()
        while True:
            while len(pending) < self.window:
                batch = [_Entry(*item) for item in itertools.islice(todo, self.batch)]
                if not batch:
                    break
                self._submit(batch)
                pending.extend(batch)
            if not pending:
                return
            entry = pending.popleft()
            yield self._result(entry, pending)

    def _submit(self, batch: list[_Entry]) -> None:
        for entry in batch:
            entry.attempts += 1
        for _ in range(2):
            if self._pool is None:
                self._pool = self._new_pool(self.workers)
            try:
                future = self._pool.submit(_read_in_worker, [(e.found, e.known_sha256) for e in batch])
            except BrokenProcessPool:  # a worker died between two tasks: a new pool takes over
                logger.warning("an ingest worker process died between two files; starting new workers")
                self._pool.shutdown(wait=False, kill_workers=True)
                self._pool = None
                continue
            for index, entry in enumerate(batch):
                entry.future, entry.index = future, index
            return
        for entry in batch:
            entry.future = None  # no pool can be started: each is read alone, which reports why

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        options = self.reader.options
        tokenizer_json = self.reader.counter.backend.to_str()
        return ProcessPoolExecutor(workers, context=self._context, initializer=_start_worker,
                                   initargs=(options, tokenizer_json, self._pages))

    def _result(self, entry: _Entry, pending: deque[_Entry]) -> ReadResult:
        if entry.future is None:  # broke a pool twice: read it alone
            return self._read_alone(entry)
        while not entry.future.done():
            wait([entry.future], timeout=_POLL_S)
            self._drain_pages()
        self._drain_pages()
        try:
            return entry.future.result()[entry.index]
        except BrokenProcessPool:
            self._recover([entry, *pending])
            return self._result(entry, pending)

    def _recover(self, entries: list[_Entry]) -> None:
        """A worker died: every file in flight goes to a new pool, or is read alone after its second time."""
        logger.warning("an ingest worker process died; reading the %d files it may have held again", len(entries))
        if self._pool is not None:
            self._pool.shutdown(wait=False, kill_workers=True)
            self._pool = None
        for entry in entries:
            if entry.future is not None and entry.future.done() and entry.future.exception() is None:
                continue  # finished before the pool broke
            if entry.attempts >= 2:
                entry.future = None
            else:
                self._submit([entry])  # one a task now: a file that breaks the pool again is told apart

    def _read_alone(self, entry: _Entry) -> ReadResult:
        with self._new_pool(1) as pool:
            try:
                return pool.submit(_read_in_worker, [(entry.found, entry.known_sha256)]).result()[0]
            except BrokenProcessPool:
                source = display_name(entry.found.source)
                reason = "its reader process crashed (a damaged file, or out of memory); check or convert the file"
                return ReadResult(entry.found, FileOutcome(source, "failed", reason=reason))
            finally:
                self._drain_pages()

    def _drain_pages(self) -> None:
        if self._pages is None or self.on_pages is None:
            return
        while True:
            try:
                source, done, total = self._pages.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return
            self.on_pages(source, done, total)
