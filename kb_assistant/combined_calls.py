"""Calls from many threads that arrive while one is running are run together, as one batch.

A server answering 32 questions at once embeds 32 queries. One at a time behind a lock, the last waits for 31
forward passes of the embedding model; on a GPU that shares the Python interpreter with a decoding engine each
pass is slow (it needs the interpreter for every kernel launch), so on the H200 the query's embedding took 0.72 s
of a 0.77 s time to first token (``benchmarks/rag_gpu_bench.py``). Combined, the calls that queued during one pass
become the next pass's batch: a few passes for 32 queries, each barely slower than a pass of one.

No thread is set aside for it: the first caller runs a batch (its own call and whatever queued), and when that batch
is done it hands the next batch to the oldest waiting caller, so nobody runs work after their own call returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)
class _Call(Generic[T]):
    item: T
    ready: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # woken to run the next batch, not with a result
    result: Any = None
    error: BaseException | None = None


class CombinedCalls(Generic[T, R]):
    """``calls(item)`` returns ``run_batch([... item ...])``'s result for ``item``, batching concurrent calls.

    ``run_batch`` gets up to ``max_batch`` items in arrival order and returns one result per item, in order. An
    exception it raises is raised in every call of that batch.
    """

    def __init__(self, run_batch: Callable[[list[T]], Sequence[R]], max_batch: int = 64) -> None:
        self._run_batch = run_batch
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queued: list[_Call[T]] = []
        self._running = False
        self.batches = 0
        """Batches run so far (a count for tests and benchmarks)."""

    @property
    def waiting(self) -> int:
        """Calls queued for a batch not started yet."""
        with self._lock:
            return len(self._queued)

    def __call__(self, item: T) -> R:
        call: _Call[T] = _Call(item)
        with self._lock:
            self._queued.append(call)
            leads = not self._running
            self._running = True
        if not leads:
            call.ready.wait()
            leads = call.leads
        if leads:  # this call is the oldest queued: it is in the batch taken now
            self._run_next()
        if call.error is not None:
            raise call.error
        return call.result  # type: ignore[no-any-return]

    def _run_next(self) -> None:
        with self._lock:
            batch, self._queued = self._queued[: self.max_batch], self._queued[self.max_batch :]
        try:
            results = self._run_batch([call.item for call in batch])
            if len(results) != len(batch):
                msg = f"run_batch returned {len(results)} results for {len(batch)} items"
                raise ValueError(msg)
            for call, result in zip(batch, results, strict=True):
                call.result = result
        except BaseException as error:  # noqa: BLE001 - every caller of the batch gets it
            for call in batch:
                call.error = error
        finally:
            self.batches += 1
            with self._lock:
                following = self._queued[0] if self._queued else None
                if following is None:
                    self._running = False
                else:
                    following.leads = True
            for call in batch:
                call.ready.set()
            if following is not None:
                following.ready.set()
