"""What the server holds: models loaded once (in the background, with readiness), retrievers per KB,
and the bounded generation queue."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from kb_assistant.bm25 import bm25_path
from kb_assistant.config import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")


class GenerationGate:
    """Counts generations running or waiting; refuses past ``limit`` so overload is a 429, not an OOM."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self._lock = threading.Lock()

    def try_enter(self) -> bool:
        with self._lock:
            if self.active >= self.limit:
                return False
            self.active += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.active -= 1


class AppState:
    """Models and per-KB retrievers; ``llm`` / ``embeddings`` may be injected (tests, other apps)."""

    def __init__(self, settings: Settings, llm: Any = None, embeddings: Any = None) -> None:
        self.settings = settings
        self.llm = llm
        self.embeddings = embeddings
        self.error: str | None = None
        self.loaded = threading.Event()
        if llm is not None and embeddings is not None:
            self.loaded.set()
        self.gate = GenerationGate(settings.max_queue)
        self._retrievers: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the configured models (runs in a background thread at start-up)."""
        try:
            if self.embeddings is None:
                from kb_assistant.embeddings import make_embeddings

                self.embeddings = make_embeddings(self.settings)
            if self.llm is None:
                from kb_assistant.llms.served import make_chat_model

                self.llm = make_chat_model(self.settings)
                batching = getattr(self.llm, "batching_engine", None)
                engine = batching() if batching is not None else None
                if engine is not None:  # capture the decode graphs now, not on the first requests
                    seconds = engine.warm_up()
                    logger.info("generation engine ready: %d slots of %d tokens, graphs in %.1f s",
                                engine.max_batch, engine.max_len, seconds)
        except Exception as e:  # reported by /health and every model endpoint
            logger.exception("loading models failed")
            self.error = str(e)
        finally:
            self.loaded.set()

    @property
    def ready(self) -> bool:
        return self.loaded.is_set() and self.error is None

    def for_kb(self, kb: str) -> Settings:
        return self.settings.with_overrides(kb=kb)

    def retriever(self, kb: str, sources: list[str] | None = None) -> Any:
        """The KB's retriever, rebuilt when an ingest (here or from the CLI) changed its BM25 index."""
        from kb_assistant.retrieval import make_retriever

        path = bm25_path(self.settings.persist_dir, kb)
        stamp = path.stat().st_mtime if path.exists() else 0.0
        with self._lock:
            cached = self._retrievers.get(kb)
            if cached is None or cached[0] != stamp:
                retriever = make_retriever(self.for_kb(kb), self.embeddings)
                stamp = path.stat().st_mtime if path.exists() else 0.0
                self._retrievers[kb] = (stamp, retriever)
                cached = self._retrievers[kb]
        return cached[1].model_copy(update={"sources": sources}) if sources else cached[1]


async def iterate_in_thread(make_iterator: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    """Run a blocking iterator in a worker thread; closing this async iterator (a client that went away)
    closes the blocking one, which stops the generation behind it."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    stop = threading.Event()

    def work() -> None:
        iterator = None
        try:
            iterator = make_iterator()
            for item in iterator:
                if stop.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
        except BaseException as e:  # re-raised in the event loop's task
            loop.call_soon_threadsafe(queue.put_nowait, ("error", e))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            loop.call_soon_threadsafe(queue.put_nowait, ("done", None))

    threading.Thread(target=work, name="kb-stream", daemon=True).start()
    try:
        while True:
            kind, value = await queue.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
