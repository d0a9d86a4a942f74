"""Token streaming from a generation thread, with stop strings that never leak."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from transformers import StoppingCriteria
from transformers.generation.streamers import BaseStreamer

from kb_assistant.errors import ModelError
from kb_assistant.llms.llama_cpp_model import LlamaCppModel
from kb_assistant.llms.model_lock import POLL_S
from kb_assistant.llms.repetition import RepetitionGuard

logger = logging.getLogger(__name__)

DONE = object()


def single_token(tokenizer: Any, text: str) -> int | None:
    """The id of the one token that is exactly ``text`` (e.g. ``<|im_end|>``), or None. Looked up by name: building
    the whole vocabulary with ``get_vocab()`` costs about 0.2 s on a 150k-token tokenizer."""
    token = tokenizer.convert_tokens_to_ids(text)
    if token is None or token == getattr(tokenizer, "unk_token_id", None):
        return None
    return int(token) if tokenizer.convert_ids_to_tokens(int(token)) == text else None


class StopBuffer:
    """Holds back text that could be the start of a stop string, so a stop split across tokens never leaks."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = [s for s in stops if s]
        self.pending = ""
        self.stopped = False

    def push(self, text: str) -> str:
        """Add generated text; return what is safe to emit. Sets ``stopped`` when a stop string appears."""
        self.pending += text
        hits = [i for i in (self.pending.find(s) for s in self.stops) if i >= 0]
        if hits:
            cut = min(hits)
            safe, self.pending, self.stopped = self.pending[:cut], "", True
            return safe
        keep = 0
        for stop in self.stops:
            for n in range(min(len(stop) - 1, len(self.pending)), 0, -1):
                if self.pending.endswith(stop[:n]):
                    keep = max(keep, n)
                    break
        safe = self.pending[: len(self.pending) - keep]
        self.pending = self.pending[len(safe) :]
        return safe

    def flush(self) -> str:
        """Whatever is held back once generation has ended."""
        rest, self.pending = self.pending, ""
        return rest


class QueueStreamer(BaseStreamer):
    """Receives token ids from ``generate`` (or the engine) and puts decoded text pieces on a queue.

    Text is decoded incrementally, by the tokenizers library's ``DecodeStream`` where the tokenizer is a fast one
    that does not clean up spaces after decoding (Qwen, Llama 3's own, e5): in Rust, about 1 µs a token, holding
    back only the bytes of a character not complete yet. Otherwise each new piece is the text of the last few
    tokens, decoded with the tokens just before them as context, minus that context's text. Decoding every id so
    far at every token cost a growing share of the time of long answers, and with 32 streams beside the engine,
    Python time is what limits streaming (``benchmarks/stream_bench.py``)."""

    def __init__(self, tokenizer: Any, out: queue.Queue[Any]) -> None:
        self.tokenizer = tokenizer
        self.out = out
        self.ids: list[int] = []
        self.prompt_seen = False
        self._prefix = 0  # ids[_prefix:_read] were decoded already: the context of the next piece
        self._read = 0
        self._sent = 0  # characters put on the queue so far
        self._backend = getattr(tokenizer, "backend_tokenizer", None)
        self._stream: Any = None
        if self._backend is not None and not getattr(tokenizer, "clean_up_tokenization_spaces", False):
            from tokenizers.decoders import DecodeStream

            self._stream = DecodeStream(skip_special_tokens=True)

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # generate() first sends the prompt
            self.prompt_seen = True
            return
        self.put_ids([int(i) for i in value.reshape(-1).tolist()])

    def put_ids(self, ids: list[int]) -> None:
        """New token ids (the engine hands over every token it has produced since the last call)."""
        self.ids.extend(ids)
        if self._stream is not None:
            self._send(self._stream.step(self._backend, ids) or "")
            return
        context = self._decode(self._prefix, self._read)
        text = self._decode(self._prefix, len(self.ids))
        if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
            return
        if text.startswith(context):
            self._send(text[len(context) :])
        else:  # a tokenizer whose text of the context changes with what follows: all the text, less what was sent
            self._send(self._decode(0, len(self.ids))[self._sent :])
        self._prefix, self._read = self._read, len(self.ids)

    def end(self) -> None:
        if self._stream is not None:  # bytes of a character never completed: the text decode() gives for them
            self._send(self._decode(0, len(self.ids))[self._sent :])
            return
        context = self._decode(self._prefix, self._read)
        text = self._decode(self._prefix, len(self.ids))
        if len(text) > len(context):
            self._send(text[len(context) :])
        self._prefix = self._read = len(self.ids)

    def _send(self, piece: str) -> None:
        if piece:
            self.out.put(piece)
            self._sent += len(piece)

    def _decode(self, start: int, end: int) -> str:
        return self.tokenizer.decode(self.ids[start:end], skip_special_tokens=True) if end > start else ""


class CancelCriteria(StoppingCriteria):
    """Stops generation once the consumer has seen a stop string or gone away."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)


def relay(work: Callable[[], None], out: queue.Queue[Any], stops: list[str], cancel: threading.Event,
          outer: threading.Event | None, timeout: float, guard: RepetitionGuard | None = None) -> Iterator[str]:
    """Run ``work`` (which generates, putting text pieces, an exception or ``DONE`` on ``out``) in a thread and
    yield its text as it is safe to emit (a possible stop string is held back), until it is done, a stop string
    appears, ``guard`` sees the text repeat itself, the caller is gone (``outer``), or ``timeout`` seconds pass
    with no token. ``cancel`` stops the model at its next token; it is always set on the way out."""
    buffer = StopBuffer(stops)
    worker = threading.Thread(target=work, name="kb-generate", daemon=True)
    worker.start()
    try:
        silent = 0.0
        while True:
            if outer is not None and outer.is_set():
                return  # the finally below stops the model at its next token
            try:
                item = out.get(timeout=POLL_S)
            except queue.Empty:
                silent += POLL_S
                if silent >= timeout:
                    msg = f"generation produced no token for {timeout:.0f} s; giving up"
                    raise ModelError(msg) from None
                continue
            silent = 0.0
            # Everything queued already goes out as one piece: a consumer that fell behind (many streams
            # at once) catches up in one step instead of paying its per-piece cost for every token.
            batch = [item]
            while batch[-1] is not DONE and not isinstance(batch[-1], BaseException):
                try:
                    batch.append(out.get_nowait())
                except queue.Empty:
                    break
            last = batch.pop() if batch[-1] is DONE or isinstance(batch[-1], BaseException) else None
            if batch:
                safe, looping = _checked(batch, buffer, guard)
                if safe:
                    yield safe
                if buffer.stopped:
                    return
                if looping:
                    logger.info("the answer repeats itself word for word; stopped after %d characters", len(guard.text))
                    return
            if last is DONE:
                break
            if last is not None:
                msg = f"generation failed: {type(last).__name__}: {last}"
                raise ModelError(msg) from last
        rest = buffer.flush()
        if rest:
            yield rest
    finally:
        cancel.set()
        worker.join(timeout=30)  # bounded: a wedged kernel must not hang the caller too
        if worker.is_alive():
            logger.warning("generation thread did not stop within 30 s after cancel")


def _checked(pieces: list[str], buffer: StopBuffer, guard: RepetitionGuard | None) -> tuple[str, bool]:
    """The text of ``pieces`` safe to emit, up to a stop string or to where ``guard`` sees a repeat (True then).
    Piece by piece: a consumer that fell behind gets many at once, and the cut must fall where the loop began."""
    if guard is None:
        return buffer.push("".join(pieces)), False
    safe = []
    for piece in pieces:
        text = buffer.push(piece)
        safe.append(text)
        if buffer.stopped:
            break
        if text and guard.push(text):
            return "".join(safe), True
    return "".join(safe), False


def generation_work(model: Any, engine: Any, input_ids: Any, attention: Any, cancel: threading.Event,
                    streamer: QueueStreamer, out: queue.Queue[Any], generate_options: dict[str, Any],
                    engine_options: Any) -> Callable[[], None]:
    """The body of a generation thread: the batching ``engine`` when given (it batches concurrent callers; this
    thread only turns token ids into text), else ``model.generate`` (transformers', or llama.cpp's
    :class:`~kb_assistant.llms.llama_cpp_model.LlamaCppModel` with its own keywords). Its error and its end go to
    ``out``."""
    import torch

    def work() -> None:
        try:
            if isinstance(model, LlamaCppModel):  # token ids in, token ids to the streamer
                model.generate(input_ids[0].tolist(), cancel=cancel, streamer=streamer, **generate_options)
                return
            if engine is not None:
                request = engine.submit(input_ids[0].tolist(), engine_options, cancel)
                streamer.prompt_seen = True
                for tokens in request.stream_batches():
                    streamer.put_ids(tokens)
                streamer.end()
                return
            with torch.inference_mode():
                model.generate(input_ids=input_ids, attention_mask=attention, streamer=streamer,
                               stopping_criteria=[CancelCriteria(cancel)], **generate_options)
        except BaseException as e:  # noqa: BLE001  (handed to the caller's thread, never lost)
            out.put(e)
        finally:
            out.put(DONE)

    return work
