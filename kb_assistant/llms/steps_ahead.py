"""Greedy decode steps queued ahead of the host (on CUDA, the engine's default when every request is greedy).

A decode step is a few milliseconds of GPU work, and between two steps the host reads the last step's tokens,
hands them out, chooses the next step and copies its inputs: at batch 1 that was a tenth of a token's time on an
H200. Queued ahead, each step's argmax becomes the next step's input on the GPU (:meth:`SlotDecoder.chain_greedy`),
the next step is queued at once, and the tokens come back through page-locked buffers while it runs. The engine
decides when this is safe (:meth:`GenerationEngine._may_step_ahead`) and drops a queued step when its rows change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from kb_assistant.llms.engine_request import Request
from kb_assistant.llms.kv_decoder import SlotDecoder


@dataclass
class QueuedStep:
    """A greedy decode step queued before the host read the tokens of the one before it."""

    requests: list[Request]
    tokens: torch.Tensor
    """Where its tokens arrive on the host."""
    ready: Any
    """A CUDA event recorded after their copy (None on the CPU, where the copy is done at once)."""
    changes: int
    """The engine's count of changes to the decoding rows when it was queued."""
    queued_at: float
    """``time.perf_counter()`` just before it was queued: the GPU ran it from then, or from when the step before
    it ended if that was later (what the engine's pacer measures decode steps by)."""

    def read(self) -> list[int]:
        """Wait for the step's tokens: one for each of its requests."""
        if self.ready is not None:
            self.ready.synchronize()
        return self.tokens[: len(self.requests)].tolist()


class StepsAhead:
    """Queues greedy decode steps on ``decoder`` one ahead of the host. Two page-locked buffers take the queued
    steps' tokens in turn: one is read while the next step's copy goes into the other."""

    def __init__(self, decoder: SlotDecoder) -> None:
        self.decoder = decoder
        self._cuda = decoder.device.type == "cuda"
        self._buffers = [torch.empty(decoder.max_batch, dtype=torch.long, pin_memory=self._cuda) for _ in range(2)]
        self._next = 0
        self.pending: QueuedStep | None = None
        """The queued step whose tokens the host has not read."""
        self.chained = 0
        """Steps queued on the GPU's own choice of their input tokens."""

    def queue(self, requests: list[Request], changes: int) -> QueuedStep | None:
        """Queue a greedy step for ``requests`` (the decoding rows, in order): its inputs are the pending step's
        tokens, on the GPU, or when none is pending the requests' last tokens. Returns the step that was pending."""
        previous = self.pending
        queued_at = time.perf_counter()
        if previous is None:
            logits = self.decoder.decode([r.generated[-1] for r in requests], [r.position for r in requests])
        else:
            logits = self.decoder.decode_chained([r.position + 1 for r in requests])
            self.chained += 1
        chosen = self.decoder.chain_greedy(logits)
        buffer = self._buffers[self._next]
        self._next = 1 - self._next
        buffer[: len(chosen)].copy_(chosen, non_blocking=self._cuda)
        ready = None
        if self._cuda:
            ready = torch.cuda.Event()
            ready.record()
        self.pending = QueuedStep(requests, buffer, ready, changes, queued_at)
        return previous

    def take(self) -> QueuedStep | None:
        """The pending step, which is no longer pending."""
        pending, self.pending = self.pending, None
        return pending
