"""Choosing each request's next token in a batch: argmax for greedy rows, else repetition penalty,
temperature, top-k and top-p sampling; rows with a grammar choose only among the tokens it allows. Used by
:mod:`kb_assistant.llms.engine`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch


class TokenConstraint(Protocol):
    """What may come next in a request's output (a grammar: :class:`kb_assistant.llms.constrained.GrammarConstraint`)."""

    def allowed(self, generated: Sequence[int]) -> np.ndarray:
        """The tokens allowed after ``generated``, as int32 words: token ``t`` is bit ``t % 32`` of word ``t // 32``."""
        ...


@dataclass
class Sampling:
    """Per-request decoding settings; temperature 0 (or None) is greedy. ``constraint``: only the tokens it
    allows are chosen (tool calls and JSON that always parse)."""

    max_new_tokens: int = 256
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    eos_token_ids: tuple[int, ...] = ()
    constraint: TokenConstraint | None = None

    @property
    def greedy(self) -> bool:
        return not self.temperature or self.temperature <= 0

    @property
    def plain_greedy(self) -> bool:
        """Greedy with nothing applied to the logits first: the token is their argmax."""
        return self.greedy and self.constraint is None and (not self.repetition_penalty or self.repetition_penalty == 1.0)


class SeenTokens:
    """The distinct token ids of a request's prompt and output so far, grown as tokens come (for the repetition
    penalty: rebuilding them from the whole prompt at every step cost more than the step on a GPU)."""

    def __init__(self) -> None:
        self._ids = np.empty(256, dtype=np.int64)
        self._size = 0
        self._known: set[int] = set()
        self._read = 0  # tokens of prompt + generated taken in so far

    def update(self, prompt: list[int], generated: list[int]) -> np.ndarray:
        """The distinct ids of ``prompt + generated`` (both only ever grow)."""
        if self._read < len(prompt):
            self._add(prompt[self._read :])
            self._read = len(prompt)
        done = self._read - len(prompt)
        if done < len(generated):
            self._add(generated[done:])
            self._read = len(prompt) + len(generated)
        return self._ids[: self._size]

    def _add(self, tokens: list[int]) -> None:
        for token in tokens:
            if token in self._known:
                continue
            self._known.add(token)
            if self._size == len(self._ids):
                self._ids = np.concatenate([self._ids, np.empty_like(self._ids)])
            self._ids[self._size] = token
            self._size += 1


class Row(Protocol):
    """What choosing needs of a request: its settings and the tokens it has seen."""

    sampling: Sampling
    prompt: list[int]
    generated: list[int]


def choose_tokens(logits: torch.Tensor, rows: list[Row]) -> list[int]:
    """Next token for each of ``rows`` from the matching row of ``logits``.

    All rows at once, on the logits' device: a few kernels and one read-back a step, whatever the batch (one
    loop per row with its own read-back took longer than a 32-row decode step on a GPU). A row may carry a
    :class:`SeenTokens` as ``seen``; otherwise its distinct tokens are collected at each call."""
    n = len(rows)
    settings = [r.sampling for r in rows]
    penalised = [i for i, s in enumerate(settings) if s.repetition_penalty and s.repetition_penalty != 1.0]
    constrained = [i for i, s in enumerate(settings) if s.constraint is not None]
    if all(s.plain_greedy for s in settings):
        return logits[:n].argmax(dim=-1).tolist()
    scores = logits[:n].float().clone()
    device = scores.device
    if constrained:
        _mask_disallowed(scores, constrained, [rows[i] for i in constrained])
    if penalised:
        seen = [_seen(rows[i]) for i in penalised]
        lengths = np.array([len(ids) for ids in seen])
        where_rows = torch.from_numpy(np.repeat(np.array(penalised), lengths)).to(device)
        where_tokens = torch.from_numpy(np.concatenate(seen)).to(device)
        penalty = torch.from_numpy(np.repeat(np.array([settings[i].repetition_penalty for i in penalised],
                                                      dtype=np.float32), lengths)).to(device)
        picked = scores[where_rows, where_tokens]
        scores[where_rows, where_tokens] = torch.where(picked > 0, picked / penalty, picked * penalty)
    greedy = [s.greedy for s in settings]
    if all(greedy):
        return scores.argmax(dim=-1).tolist()
    # Greedy rows ride along with temperature 1 and no cut-offs: their argmax is taken from these scores
    temperature = [1.0 if g else float(s.temperature or 1.0) for s, g in zip(settings, greedy, strict=True)]
    scores = scores / torch.tensor(temperature, device=device)[:, None]
    vocab = scores.shape[-1]
    top_k = [0 if g or not s.top_k else min(int(s.top_k), vocab) for s, g in zip(settings, greedy, strict=True)]
    top_p = [None if g or s.top_p is None or s.top_p >= 1.0 else float(s.top_p)
             for s, g in zip(settings, greedy, strict=True)]
    limit = torch.tensor([float("inf") if p is None else p for p in top_p], device=device)[:, None]
    if all(g or k for g, k in zip(greedy, top_k, strict=True)):
        # Every sampling row has a top-k (three of the four families' defaults do): the nucleus is cut from
        # those k scores, already sorted, instead of sorting the whole vocabulary
        values, indices = torch.topk(scores, max(top_k), dim=-1)
        beyond = torch.arange(values.shape[-1], device=device)[None] >= torch.tensor(top_k, device=device)[:, None]
        values = values.masked_fill(beyond & ~torch.tensor(greedy, device=device)[:, None], float("-inf"))
        if any(p is not None for p in top_p):
            probabilities = torch.softmax(values, dim=-1)
            values = values.masked_fill(probabilities.cumsum(dim=-1) - probabilities > limit, float("-inf"))
        picked = torch.multinomial(torch.softmax(values, dim=-1), 1)
        sampled = indices.gather(1, picked)[:, 0]
    else:
        if any(top_k):
            largest = torch.topk(scores, max(top_k), dim=-1).values
            kth = largest.gather(1, torch.tensor([max(k, 1) - 1 for k in top_k], device=device)[:, None])
            kth = kth.masked_fill(torch.tensor([k == 0 for k in top_k], device=device)[:, None], float("-inf"))
            scores = scores.masked_fill(scores < kth, float("-inf"))
        if any(p is not None for p in top_p):
            ordered, order = torch.sort(scores, descending=True, dim=-1)
            probabilities = torch.softmax(ordered, dim=-1)
            drop = probabilities.cumsum(dim=-1) - probabilities > limit
            scores = scores.scatter(1, order, ordered.masked_fill(drop, float("-inf")))
        sampled = torch.multinomial(torch.softmax(scores, dim=-1), 1)[:, 0]
    chosen = torch.where(torch.tensor(greedy, device=device), scores.argmax(dim=-1), sampled)
    return chosen.tolist()


_BITS: dict[torch.device, torch.Tensor] = {}


def _mask_disallowed(scores: torch.Tensor, indices: list[int], rows: list[Row]) -> None:
    """Set to -inf the scores of tokens each constrained row's grammar does not allow next (in place). The
    masks travel packed (152k tokens are 19 KB of words per row) and are unpacked on the scores' device."""
    constraints = [r.sampling.constraint for r in rows]
    kind = type(constraints[0])
    if len(rows) > 1 and hasattr(kind, "allowed_batch") and all(type(c) is kind for c in constraints):
        words = kind.allowed_batch(constraints, [r.generated for r in rows])  # several masks at once
    else:
        words = np.stack([c.allowed(r.generated) for c, r in zip(constraints, rows, strict=True)])  # type: ignore[union-attr]
    packed = torch.from_numpy(words).to(scores.device)
    shifts = _BITS.get(scores.device)
    if shifts is None:
        shifts = _BITS.setdefault(scores.device, torch.arange(32, dtype=torch.int32, device=scores.device))
    allowed = ((packed[:, :, None] >> shifts) & 1).reshape(len(rows), -1).bool()
    width = min(allowed.shape[1], scores.shape[1])
    keep = torch.zeros((len(rows), scores.shape[1]), dtype=torch.bool, device=scores.device)
    keep[:, :width] = allowed[:, :width]  # logits past the tokenizer's vocabulary (padding rows) never come
    where = torch.tensor(indices, device=scores.device)
    scores[where] = scores[where].masked_fill(~keep, float("-inf"))


def _seen(row: Row) -> np.ndarray:
    tracker = getattr(row, "seen", None)
    if not isinstance(tracker, SeenTokens):
        tracker = SeenTokens()
    return tracker.update(row.prompt, row.generated)
