"""One request to the generation engine (:mod:`kb_assistant.llms.engine`): its prompt, settings, progress, and
the queue its token ids arrive on, read one by one or every token produced since the last read."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kb_assistant.llms.sampling import Sampling, SeenTokens

END = object()
"""Put on a request's token queue when it has ended (its ``error`` then says whether it failed)."""


@dataclass(eq=False)
class Request:
    """One generation: its prompt, settings and the queue its token ids arrive on."""

    prompt: list[int]
    sampling: Sampling
    cancel: threading.Event = field(default_factory=threading.Event)
    tokens: queue.Queue[Any] = field(default_factory=queue.Queue)
    generated: list[int] = field(default_factory=list)
    submitted_at: float = field(default_factory=time.perf_counter)
    first_token_at: float | None = None
    finished_at: float | None = None
    error: BaseException | None = None
    slot: int = -1
    prefilled: int = 0
    """Prompt positions already in the cache (a reused prefix, then prefilled chunks)."""
    reused: int = 0
    """Prompt positions copied from the prefix cache instead of computed."""
    decoding_since: float = float("inf")
    """When its prompt was done and it began decoding."""
    rows_before: int = 0
    """Requests decoding when it was admitted: their speed then is what pacing keeps a share of."""
    seen: SeenTokens = field(default_factory=SeenTokens)
    """Its distinct tokens so far (the repetition penalty's)."""

    @property
    def position(self) -> int:
        """Where the next token's key/value goes: cached tokens so far."""
        return len(self.prompt) + len(self.generated) - 1

    def stream(self, timeout: float | None = None) -> Iterator[int]:
        """Token ids as they are generated; raises what the engine raised for this request."""
        for batch in self.stream_batches(timeout):
            yield from batch

    def stream_batches(self, timeout: float | None = None) -> Iterator[list[int]]:
        """As :meth:`stream`, but each time every token produced since the last: one item per engine step
        when the reader keeps up, fewer, larger ones when it falls behind."""
        batch: list[int] = []
        while True:
            item = self.tokens.get(timeout=timeout) if not batch else self._next_now()
            if item is None:  # nothing more queued: hand over what was collected
                yield batch
                batch = []
                continue
            if item is END:
                if batch:
                    yield batch
                if self.error is not None:
                    raise self.error
                return
            batch.append(item)

    def _next_now(self) -> Any:
        try:
            return self.tokens.get_nowait()
        except queue.Empty:
            return None
