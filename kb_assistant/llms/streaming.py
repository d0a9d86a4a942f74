"""Token streaming from a generation thread, with stop strings that never leak."""

from __future__ import annotations

import queue
import threading
from typing import Any

from transformers import StoppingCriteria
from transformers.generation.streamers import BaseStreamer

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
    """Receives token ids from ``generate`` and puts decoded text pieces on a queue."""

    def __init__(self, tokenizer: Any, out: queue.Queue[Any]) -> None:
        self.tokenizer = tokenizer
        self.out = out
        self.ids: list[int] = []
        self.emitted = ""
        self.prompt_seen = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # generate() first sends the prompt
            self.prompt_seen = True
            return
        self.ids.extend(int(i) for i in value.reshape(-1).tolist())
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
            return
        if len(text) > len(self.emitted):
            self.out.put(text[len(self.emitted) :])
        self.emitted = text

    def end(self) -> None:
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if len(text) > len(self.emitted):
            self.out.put(text[len(self.emitted) :])
        self.emitted = text


class CancelCriteria(StoppingCriteria):
    """Stops generation once the consumer has seen a stop string or gone away."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)
