"""What the server holds: models loaded once (in the background, with readiness), retrievers per KB,
and the bounded generation queue."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

from kb_assistant.config import Settings
from kb_assistant.llms.cancellation import cancellable
from kb_assistant.server.memory import release_free_memory

logger = logging.getLogger(__name__)
T = TypeVar("T")
_GONE_POLL_S = 0.25  # how often a waiting request checks that its client is still connected


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
            idle = self.active == 0
        if idle:
            release_free_memory()


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
        self._retrievers: dict[str, tuple[tuple[int, int], Any]] = {}
        self._stores: dict[str, Any] = {}  # a KBStore per KB, to read its freshness stamp
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
        else:
            self._warm_default_kb()
        finally:
            self.loaded.set()

    def _warm_default_kb(self) -> None:
        """One search of the default KB before the server says it is ready, so that the first question does not
        wait for what a first search loads: jieba's dictionary (0.7 s) and Chroma's vector index (4-17 s at a
        million chunks, README "Retrieval quality")."""
        try:
            self.retriever(self.settings.kb).warm_up()
        except Exception as e:  # noqa: BLE001 - no such KB yet, or an unreadable store: the first question reports it
            logger.info("no warm-up search of KB %r: %s", self.settings.kb, e)

    @property
    def ready(self) -> bool:
        return self.loaded.is_set() and self.error is None

    def for_kb(self, kb: str) -> Settings:
        return self.settings.with_overrides(kb=kb)

    def retriever(self, kb: str, sources: list[str] | None = None) -> Any:
        """The KB's retriever, rebuilt when the KB changed (an ingest or removal here, from the CLI or from
        another replica): its freshness stamp is compared at every call."""
        from kb_assistant.kb import KBStore
        from kb_assistant.retrieval import make_retriever

        with self._lock:
            store = self._stores.get(kb)
            if store is None:
                store = self._stores[kb] = KBStore(self.for_kb(kb))
            stamp = store.stamp()  # taken before building: a change during the build makes the next call rebuild
            cached = self._retrievers.get(kb)
            if cached is None or cached[0] != stamp:
                cached = self._retrievers[kb] = (stamp, make_retriever(self.for_kb(kb), self.embeddings))
        return cached[1].model_copy(update={"sources": sources}) if sources else cached[1]


class ThreadedParts(Generic[T]):
    """A blocking iterator (a chain's stream) run in its own worker thread, read from the event loop.

    The thread starts at once. ``on_exit`` runs when the thread has finished, not when the reader stops
    reading, so a generation slot is held exactly as long as work for it is running. The thread runs in a
    :func:`cancellable` scope: :meth:`cancel` (or a reader that stops early) stops the model behind it while
    it waits for its turn or at its next token.
    """

    def __init__(self, make_iterator: Callable[[], Iterator[T]], on_exit: Callable[[], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._stop = threading.Event()
        self._make_iterator = make_iterator
        self._on_exit = on_exit
        threading.Thread(target=self._work, name="kb-stream", daemon=True).start()

    def cancel(self) -> None:
        self._stop.set()

    def _put(self, kind: str, value: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, value))
        except RuntimeError:  # the event loop is gone (server shutting down): nobody is reading
            pass

    def _work(self) -> None:
        try:
            with cancellable(self._stop):
                iterator = None
                try:
                    iterator = self._make_iterator()
                    for item in iterator:
                        if self._stop.is_set():
                            break
                        self._put("item", item)
                finally:
                    close = getattr(iterator, "close", None)
                    if close is not None:
                        close()
        except BaseException as e:  # re-raised in the reader's task
            self._put("error", e)
        finally:
            if self._on_exit is not None:
                self._on_exit()
            self._put("done", None)

    async def read(self, gone: Callable[[], Awaitable[bool]] | None = None) -> AsyncIterator[T]:
        """The items; stops (and cancels the work) when ``gone()`` says the client has left."""
        try:
            while True:
                try:
                    kind, value = await asyncio.wait_for(self._queue.get(), _GONE_POLL_S)
                except TimeoutError:
                    if gone is not None and await gone():
                        return
                    continue
                if kind == "done":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            self._stop.set()
