"""A generation engine for Llama-style decoders (Llama 3, Qwen2, Mistral): continuous batching over a
preallocated KV cache, prompts prefilled together in packed passes, a prefix cache, and decode steps replayed
as CUDA graphs.

Why not ``model.generate``: at batch 1 it launches hundreds of small kernels per token from Python, so a
7B model decodes at under a tenth of what memory bandwidth allows, and it serves one request at a time.
Here every request owns a slot (a row of the cache). A scheduler thread admits waiting requests into free
slots and runs one of two kinds of step:

- a packed pass, while prompts wait to be prefilled: the prompts (up to ``prefill_tokens`` tokens, so a burst
  of prompts shares large matmuls) plus one token of every decoding request. While requests that came before
  the waiting prompts are decoding, a pass takes at most ``prefill_chunk`` prompt tokens (a long prompt is
  prefilled in pieces) and decode steps are put between the passes, as many as keep those requests at
  ``decode_share`` of their speed (:mod:`kb_assistant.llms.pacing`). Large pieces with decode steps between
  them prefill faster than small pieces for the same share: a pass's fixed cost (reading every weight) is paid
  less often. Requests that arrived with the burst get their first token as their prompt is done and ride
  along in the burst's passes: the burst's last prompt is not held back for them (first tokens first, as in
  vLLM's default) until they have ``SETTLED_TOKENS`` tokens, so prompts that reach the engine a few
  milliseconds apart still count as one burst;
- otherwise a decode step: one token for every decoding request. Decoding slots are kept contiguous (a
  finished request's slot takes the last one's cache), so the step is one captured graph for the batch bucket
  >= n and the cache length bucket >= the longest request. When every decoding request is greedy (and nothing
  waits), each step's tokens become the next step's inputs on the GPU and the next step is queued before the
  host reads them (``overlap_steps``): the host's work for a token (reading it, streaming it, choosing the next
  step) runs while the GPU computes the next one instead of between the two. A request that ends (an EOS token,
  a cancel) leaves one step computed for nothing, whose tokens are dropped.

Prefix cache: a new prompt copies the keys/values of the longest prefix it shares with a running request's
prompt or with one of the ``prefix_rows`` most recent prompts kept in spare cache rows, and prefills only the
rest. RAG prompts share the system prompt and often the first retrieved chunks, so the copy (microseconds)
replaces most of the prefill.

This module is the scheduler; :mod:`kb_assistant.llms.engine_request` is a request,
:mod:`kb_assistant.llms.sampling` the token choice, :mod:`kb_assistant.llms.kv_decoder` the model side,
:mod:`kb_assistant.llms.prefix_rows` the kept prompts, :mod:`kb_assistant.llms.steps_ahead` the queued steps. All
import only torch (and numpy): the benchmarks use them on machines without LangChain.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import torch

from kb_assistant.llms.engine_request import END, Request
from kb_assistant.llms.kv_decoder import Chunk, SlotDecoder, unsupported_reason
from kb_assistant.llms.pacing import DecodePacer
from kb_assistant.llms.prefix_rows import PrefixRows
from kb_assistant.llms.sampling import Sampling, choose_tokens
from kb_assistant.llms.steps_ahead import QueuedStep, StepsAhead

__all__ = ["GenerationEngine", "Request", "Sampling", "engine_for", "running_engine", "unsupported_reason"]
logger = logging.getLogger(__name__)
SETTLED_TOKENS = 16
"""Tokens a request has produced before prompts that came after it must leave it its share of speed."""


class GenerationEngine:
    """Continuous batching for one loaded model. Thread-safe: ``submit`` from any thread.

    ``max_batch`` requests run at once; each may hold ``max_len`` tokens (prompt + new). The KV cache is
    allocated once: ``max_batch`` is lowered to what ``kv_cache_bytes`` holds (by default what free GPU memory
    holds after a reserve for prefill activations), and ``prefix_rows`` more rows keep recent prompts where
    memory is left. A packed pass prefills at most ``prefill_tokens`` prompt tokens (default ``max_len``: the
    activation reserve is sized for that), or ``prefill_chunk`` while requests that came before decode, with
    decode steps between the passes to keep them at ``decode_share`` of their speed.
    ``cuda_graphs`` defaults to on for CUDA models. ``int8`` replaces the model's linear weights with
    weight-only int8 ones (see :mod:`kb_assistant.llms.int8_weights`); the model then runs only here.
    ``overlap_steps`` (default: on CUDA) queues each greedy decode step before the last one's tokens are read.
    """

    def __init__(
        self,
        model: Any,
        *,
        max_batch: int = 32,
        max_len: int = 4096,
        kv_cache_bytes: int | None = None,
        cuda_graphs: bool | None = None,
        prefix_rows: int = 4,
        prefill_tokens: int | None = None,
        prefill_chunk: int = 1024,
        decode_share: float = 0.55,
        min_prefix: int = 32,
        int8: bool = False,
        overlap_steps: bool | None = None,
    ) -> None:
        self.model = model
        self.decoder = SlotDecoder(model, max_batch=max_batch, max_len=max_len, kv_cache_bytes=kv_cache_bytes,
                                   cuda_graphs=cuda_graphs, prefix_rows=prefix_rows, int8=int8)
        self.max_batch, self.max_len = self.decoder.max_batch, self.decoder.max_len
        self.kv_cache_bytes = self.decoder.kv_cache_bytes
        self.prefill_tokens = max(1, prefill_tokens or self.max_len)
        self.prefill_chunk = max(1, min(prefill_chunk, self.prefill_tokens))
        self.pacer = DecodePacer(decode_share)
        self.min_prefix = max(1, min_prefix)
        self.overlap_steps = self.decoder.device.type == "cuda" if overlap_steps is None else overlap_steps
        self._ahead = StepsAhead(self.decoder)
        self._changes = 0  # counts changes to the decoding rows: a step queued before one is dropped
        self.reused_tokens = 0
        """Prompt tokens served from the prefix cache since the engine started."""
        self.prefilled_tokens = 0
        """Prompt tokens computed since the engine started."""
        self._prefixes = PrefixRows(self.max_batch, self.decoder.prefix_rows)
        self._active: list[Request] = []
        self._prefilling: list[Request] = []
        self._waiting: queue.Queue[Request] = queue.Queue()
        self._wake = threading.Event()
        self._closed = False
        self._stream: Any = None  # the engine thread's CUDA stream (set by that thread)
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
    def steps_ahead(self) -> int:
        """Decode steps queued on the GPU's own choice of their input tokens (see ``overlap_steps``)."""
        return self._ahead.chained

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

    # --- the scheduler -------------------------------------------------------------------------
    def _run(self) -> None:
        device = self.decoder.device
        # Its own CUDA stream, so that kernels other threads launch on the default one (query embeddings) need not
        # queue behind a whole decode step. (It was not what made retrieval slow under 32 RAG clients: that was
        # the interpreter, README "The whole RAG request on the GPU".)
        self._stream = torch.cuda.Stream(device) if device.type == "cuda" else None
        self._after_other_work()  # the weights, cache and tables set up on the default stream come first
        with torch.cuda.stream(self._stream) if self._stream is not None else contextlib.nullcontext():
            self._loop()

    def _after_other_work(self) -> None:
        """Order the engine's stream after what other threads queued on the default stream (a caller that set
        up or changed what the engine reads); cheap: an event, no wait on the host."""
        if self._stream is not None:
            self._stream.wait_stream(torch.cuda.default_stream(self._stream.device))

    def _loop(self) -> None:
        while not self._closed:
            try:
                self._admit()
                if not self._active and not self._prefilling:
                    self._wake.wait(timeout=0.5)
                    self._wake.clear()
                    continue
                self._step()
            except BaseException as error:  # every running request learns why; the engine carries on
                logger.exception("generation step failed")
                self._ahead.take()
                for request in list(self._active) + list(self._prefilling):
                    self._finish(request, error)
        closed = RuntimeError("the generation engine was closed")
        for request in list(self._active) + list(self._prefilling):
            self._finish(request, closed)
        while not self._waiting.empty():
            self._finish(self._waiting.get_nowait(), closed)

    @torch.inference_mode()
    def _admit(self) -> None:
        """Give waiting requests free slots and the longest cached prefix of their prompt."""
        while len(self._active) + len(self._prefilling) < self.max_batch:
            try:
                request = self._waiting.get_nowait()
            except queue.Empty:
                return
            if request.cancel.is_set():
                request.tokens.put(END)
                continue
            self._after_other_work()
            taken = {r.slot for r in self._active} | {r.slot for r in self._prefilling}
            request.slot = max(set(range(self.max_batch)) - taken)  # decoding rows fill from 0 up
            request.rows_before = len(self._active)
            self._prefilling.append(request)
            self._reuse_prefix(request)

    def _reuse_prefix(self, request: Request) -> None:
        best, row = self._prefixes.longest(request.prompt, [(r.prompt, r.slot) for r in self._active])
        best = min(best, len(request.prompt) - 1)  # the last prompt token is always computed: its logits
        if best >= self.min_prefix:
            self.decoder.move_row(row, request.slot, best)
            request.prefilled = request.reused = best
            self.reused_tokens += best
            self._prefixes.used(row)

    @torch.inference_mode()
    def _step(self) -> None:
        started = time.perf_counter()
        if self._ahead.pending is not None and not self._may_step_ahead():
            self._hand_out(self._ahead.take())  # its tokens first; the rows may change after
            if not self._active and not self._prefilling:
                return
            started = time.perf_counter()
        if self._may_step_ahead():
            self._step_ahead()
            return
        decoding = list(self._active)
        chunks, owners, paced_rows = self._plan_chunks()
        if paced_rows and self.pacer.owes():
            chunks, owners = [], []  # a decode step for the requests that came first
        tokens = [r.generated[-1] for r in decoding]
        positions = [r.position for r in decoding]
        if not chunks:
            logits = self.decoder.decode(tokens, positions)
        else:
            try:
                logits = self.decoder.forward_packed(len(decoding), tokens, positions, chunks)
            except BaseException as error:  # a prompt that fails ends its request, not the batch
                if decoding:
                    raise
                for request in owners:
                    self._finish(request, error)
                return
        for request, chunk in zip(owners, chunks, strict=True):
            request.prefilled += len(chunk.tokens)
            self.prefilled_tokens += len(chunk.tokens)
        chosen = choose_tokens(logits, decoding + [r for r, c in zip(owners, chunks, strict=True) if c.last])
        self.pacer.step(started, time.perf_counter(), sum(len(c.tokens) for c in chunks), len(decoding), paced_rows)
        for request, token in zip(decoding, chosen, strict=False):
            self._accept(request, token)
        finished = [r for r, c in zip(owners, chunks, strict=True) if c.last]
        for request, token in zip(finished, chosen[len(decoding):], strict=True):
            self._accept(request, token)  # the first token goes out before the cache rows are moved
            if request.finished_at is None:
                self._start_decoding(request)
            else:
                self._remember_prefix(request)

    def _may_step_ahead(self) -> bool:
        """Whether the next decode step may be queued before the host reads the current one's tokens: every
        decoding request is plain greedy, no prompt waits, and none surely ends with the token in flight."""
        decoding = self._active
        if not self.overlap_steps or not decoding or self._prefilling or not self._waiting.empty():
            return False
        if not all(r.sampling.plain_greedy for r in decoding):
            return False
        ahead = self._ahead.pending
        if ahead is None:
            return True
        if ahead.changes != self._changes:
            return False
        # the token in flight is its last: the step after it would be computed for nothing
        return all(len(r.generated) + 1 < r.sampling.max_new_tokens and r.position + 1 < self.max_len
                   and not r.cancel.is_set() for r in decoding)

    def _step_ahead(self) -> None:
        """Queue a greedy decode step on the tokens of the one in flight, then hand those out while it runs."""
        previous = self._ahead.queue(list(self._active), self._changes)
        if previous is None:
            return
        self._hand_out(previous)
        if self._ahead.pending is not None and self._ahead.pending.changes != self._changes:
            self._ahead.take()  # a request ended: the step just queued is dropped

    def _hand_out(self, step: QueuedStep) -> None:
        """Wait for a queued step's tokens, count its time as a decode step's and give them to its requests.
        Its time runs from its queueing, not from this call's start: on the GPU the call before this one queued
        it, and its wait here is only what was left of it (counted from the call's start, the steps that begin
        a run of queued steps measured 0.3 ms on an H200, not 4.6, and made the pacer hold prompts back)."""
        tokens = step.read()
        self.pacer.step(step.queued_at, time.perf_counter(), 0, len(step.requests), 0)
        for request, token in zip(step.requests, tokens, strict=True):
            self._accept(request, token)

    def _plan_chunks(self) -> tuple[list[Chunk], list[Request], int]:
        """The prompt pieces of the next packed pass, oldest first, within the token budget; and, when requests
        that were decoding before the waiting prompts came are to keep their share of speed, how many rows
        decoded when the oldest of those prompts came (their speed is a step's time at that many; 0: none)."""
        for request in [r for r in self._prefilling if r.cancel.is_set()]:
            self._prefilling.remove(request)
            request.tokens.put(END)
        if not self._prefilling:
            return [], [], 0
        oldest = min(self._prefilling, key=lambda r: r.submitted_at)
        earlier = any(r.decoding_since < oldest.submitted_at and len(r.generated) >= SETTLED_TOKENS for r in self._active)
        paced_rows = max(1, oldest.rows_before) if earlier else 0
        # the pass, decoding rows included, at most prefill_chunk tokens: a size the model side has a graph for
        budget = max(self.prefill_chunk // 2, self.prefill_chunk - len(self._active)) if paced_rows else self.prefill_tokens
        chunks, owners = [], []
        for request in self._prefilling:
            if budget <= 0:
                break
            take = min(budget, len(request.prompt) - request.prefilled)
            piece = request.prompt[request.prefilled : request.prefilled + take]
            chunks.append(Chunk(request.slot, piece, request.prefilled, request.prefilled + take == len(request.prompt)))
            owners.append(request)
            budget -= take
        return chunks, owners, paced_rows

    def _start_decoding(self, request: Request) -> None:
        """Move a fully prefilled request into the contiguous decoding rows and keep its prompt for reuse."""
        self._prefilling.remove(request)
        request.decoding_since = time.perf_counter()
        target = len(self._active)
        if request.slot != target:
            holder = next((r for r in self._prefilling if r.slot == target), None)
            if holder is not None:
                self.decoder.swap_rows(request.slot, target, max(request.prefilled, holder.prefilled))
                holder.slot = request.slot
            else:
                self.decoder.move_row(request.slot, target, request.prefilled)
            request.slot = target
        self._active.append(request)
        self._changes += 1
        self._remember_prefix(request)

    def _remember_prefix(self, request: Request) -> None:
        if len(request.prompt) >= self.min_prefix:
            self._prefixes.remember(request.prompt, request.slot, self.decoder.move_row)

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
        if request in self._prefilling:
            self._prefilling.remove(request)
        if request in self._active:
            self._changes += 1
            slot = request.slot
            last = self._active.pop()
            if last is not request:
                self._active[slot] = last
                self.decoder.move_row(last.slot, slot, last.position + 1)
                last.slot = slot
        request.tokens.put(END)


_engines: dict[int, GenerationEngine] = {}
_engines_lock = threading.Lock()


def running_engine(model: Any) -> GenerationEngine | None:
    """The engine built for ``model`` already, or None: a dictionary read, so that each request does not check
    the model again (the check walks every parameter: 4% of the interpreter's time under 32 clients on the H200)."""
    engine = _engines.get(id(model))
    return engine if engine is not None and engine.model is model else None


def engine_for(model: Any, factory: Callable[[], GenerationEngine]) -> GenerationEngine:
    """The one engine of a loaded model (created on first use), shared by every wrapper of it."""
    with _engines_lock:
        engine = _engines.get(id(model))
        if engine is None or engine.model is not model:
            engine = factory()
            _engines[id(model)] = engine
        return engine
