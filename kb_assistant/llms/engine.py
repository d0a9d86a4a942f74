"""A generation engine for Llama-style decoders (Llama 3, Qwen2, Mistral): continuous batching over a
preallocated KV cache, prompt prefill separate from decode, and decode steps replayed as CUDA graphs.

Why not ``model.generate``: at batch 1 it launches hundreds of small kernels per token from Python, so a
7B model decodes at under a tenth of what memory bandwidth allows, and it serves one request at a time.
Here every request owns a slot (a row of the cache); a scheduler thread admits waiting requests into free
slots, prefills each prompt once, then advances all active requests together, one token per step. Slots are
kept contiguous (a finished request's slot takes the last one's cache), so a step over ``n`` requests is
one captured graph for the batch bucket >= n and the cache length bucket >= the longest request.

This module is the scheduler and sampling; :mod:`kb_assistant.llms.kv_decoder` is the model side. Both
import only torch: the benchmarks use them on machines without LangChain.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from kb_assistant.llms.kv_decoder import SlotDecoder, unsupported_reason

__all__ = ["GenerationEngine", "Request", "Sampling", "engine_for", "unsupported_reason"]
logger = logging.getLogger(__name__)
_END = object()


@dataclass
class Sampling:
    """Per-request decoding settings; temperature 0 (or None) is greedy."""

    max_new_tokens: int = 256
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    eos_token_ids: tuple[int, ...] = ()

    @property
    def greedy(self) -> bool:
        return not self.temperature or self.temperature <= 0


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

    @property
    def position(self) -> int:
        """Where the next token's key/value goes: cached tokens so far."""
        return len(self.prompt) + len(self.generated) - 1

    def stream(self, timeout: float | None = None) -> Iterator[int]:
        """Token ids as they are generated; raises what the engine raised for this request."""
        while True:
            item = self.tokens.get(timeout=timeout)
            if item is _END:
                if self.error is not None:
                    raise self.error
                return
            yield item


class GenerationEngine:
    """Continuous batching for one loaded model. Thread-safe: ``submit`` from any thread.

    ``max_batch`` requests run at once; each may hold ``max_len`` tokens (prompt + new). The KV cache is
    allocated once: ``max_batch`` is lowered to what ``kv_cache_bytes`` holds (by default what free GPU memory
    holds after a reserve for prefill activations). ``cuda_graphs`` defaults to on for CUDA models.
    """

    def __init__(
        self,
        model: Any,
        *,
        max_batch: int = 32,
        max_len: int = 4096,
        kv_cache_bytes: int | None = None,
        cuda_graphs: bool | None = None,
    ) -> None:
        self.model = model
        self.decoder = SlotDecoder(model, max_batch=max_batch, max_len=max_len, kv_cache_bytes=kv_cache_bytes,
                                   cuda_graphs=cuda_graphs)
        self.max_batch, self.max_len = self.decoder.max_batch, self.decoder.max_len
        self.kv_cache_bytes = self.decoder.kv_cache_bytes
        self._active: list[Request] = []
        self._waiting: queue.Queue[Request] = queue.Queue()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kb-engine", daemon=True)
        self._thread.start()

    # --- public --------------------------------------------------------------------------------
    def submit(self, prompt: list[int], sampling: Sampling, cancel: threading.Event | None = None) -> Request:
        """Queue a request; its tokens arrive on ``request.stream()``."""
        if self._closed:
            raise RuntimeError("the generation engine is closed")
        if not prompt:
            raise ValueError("the prompt is empty")
        if len(prompt) >= self.max_len:
            raise ValueError(
                f"the prompt is {len(prompt)} tokens; the engine holds {self.max_len} per request "
                "(prompt + answer): shorten it or raise engine_max_len"
            )
        request = Request(list(prompt), sampling, cancel or threading.Event())
        self._waiting.put(request)
        self._wake.set()
        return request

    def generate(self, prompt: list[int], sampling: Sampling) -> list[int]:
        """Blocking: the generated token ids."""
        return list(self.submit(prompt, sampling).stream())

    @property
    def active(self) -> int:
        return len(self._active)

    def close(self) -> None:
        """Stop the scheduler; requests still running end with an error."""
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=30)

    def warm_up(self, longest: int | None = None) -> float:
        """Capture the decode graphs before serving (see :meth:`SlotDecoder.warm_up`); returns seconds."""
        return self.decoder.warm_up(longest)

    # --- sampling ------------------------------------------------------------------------------
    @staticmethod
    def _choose(logits: torch.Tensor, requests: list[Request]) -> list[int]:
        """Next token per row: argmax for greedy rows, else temperature / top-k / top-p sampling."""
        if all(r.sampling.greedy and not r.sampling.repetition_penalty for r in requests):
            return logits[: len(requests)].argmax(dim=-1).tolist()
        chosen = []
        for row, request in enumerate(requests):
            scores, settings = logits[row], request.sampling
            if settings.repetition_penalty and settings.repetition_penalty != 1.0:
                seen = torch.tensor(request.prompt + request.generated, device=scores.device).unique()
                picked = scores[seen]
                penalty = settings.repetition_penalty
                scores = scores.clone()
                scores[seen] = torch.where(picked > 0, picked / penalty, picked * penalty)
            if settings.greedy:
                chosen.append(int(scores.argmax()))
                continue
            scores = scores / float(settings.temperature or 1.0)
            if settings.top_k:
                kth = torch.topk(scores, min(settings.top_k, scores.numel())).values[-1]
                scores = scores.masked_fill(scores < kth, float("-inf"))
            if settings.top_p is not None and settings.top_p < 1.0:
                ordered, order = torch.sort(scores, descending=True)
                cumulative = torch.softmax(ordered, dim=-1).cumsum(dim=-1)
                drop = cumulative - torch.softmax(ordered, dim=-1) > settings.top_p
                scores = scores.scatter(0, order, ordered.masked_fill(drop, float("-inf")))
            chosen.append(int(torch.multinomial(torch.softmax(scores, dim=-1), 1)))
        return chosen

    # --- the scheduler -------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed:
            try:
                self._admit()
                if not self._active:
                    self._wake.wait(timeout=0.5)
                    self._wake.clear()
                    continue
                self._step()
            except BaseException as error:  # every running request learns why; the engine carries on
                logger.exception("generation step failed")
                for request in list(self._active):
                    self._finish(request, error)
        closed = RuntimeError("the generation engine was closed")
        for request in list(self._active):
            self._finish(request, closed)
        while not self._waiting.empty():
            self._finish(self._waiting.get_nowait(), closed)

    @torch.inference_mode()
    def _admit(self) -> None:
        while len(self._active) < self.max_batch:
            try:
                request = self._waiting.get_nowait()
            except queue.Empty:
                return
            if request.cancel.is_set():
                request.tokens.put(_END)
                continue
            request.slot = len(self._active)
            self._active.append(request)
            try:
                logits = self.decoder.prefill(request.slot, request.prompt)
                self._accept(request, self._choose(logits, [request])[0])
            except BaseException as error:  # noqa: BLE001 - the request carries it to its caller
                self._finish(request, error)

    @torch.inference_mode()
    def _step(self) -> None:
        requests = list(self._active)
        logits = self.decoder.decode([r.generated[-1] for r in requests], [r.position for r in requests])
        for request, token in zip(requests, self._choose(logits, requests), strict=True):
            self._accept(request, token)

    def _accept(self, request: Request, token: int) -> None:
        if request.cancel.is_set():
            self._finish(request)
            return
        if request.first_token_at is None:
            request.first_token_at = time.perf_counter()
        request.generated.append(token)
        settings = request.sampling
        if token in settings.eos_token_ids:
            self._finish(request)
            return
        request.tokens.put(token)
        if len(request.generated) >= settings.max_new_tokens or request.position >= self.max_len:
            self._finish(request)

    def _finish(self, request: Request, error: BaseException | None = None) -> None:
        """End a request and keep the active slots contiguous (the last one moves into the freed slot)."""
        request.error = error
        request.finished_at = time.perf_counter()
        if request in self._active:
            slot = request.slot
            last = self._active.pop()
            if last is not request:
                self._active[slot] = last
                self.decoder.move_row(last.slot, slot, last.position + 1)
                last.slot = slot
        request.tokens.put(_END)


_engines: dict[int, GenerationEngine] = {}
_engines_lock = threading.Lock()


def engine_for(model: Any, factory: Callable[[], GenerationEngine]) -> GenerationEngine:
    """The one engine of a loaded model (created on first use), shared by every wrapper of it."""
    with _engines_lock:
        engine = _engines.get(id(model))
        if engine is None or engine.model is not model:
            engine = factory()
            _engines[id(model)] = engine
        return engine
