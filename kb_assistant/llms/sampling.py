"""Choosing each request's next token in a batch: argmax for greedy rows, else repetition penalty,
temperature, top-k and top-p sampling. Used by :mod:`kb_assistant.llms.engine`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch


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



class Row(Protocol):
    """What choosing needs of a request: its settings and the tokens it has seen."""

    sampling: Sampling
    prompt: list[int]
    generated: list[int]


def choose_tokens(logits: torch.Tensor, rows: list[Row]) -> list[int]:
    """Next token for each of ``rows`` from the matching row of ``logits``."""
    if all(r.sampling.greedy and not r.sampling.repetition_penalty for r in rows):
        return logits[: len(rows)].argmax(dim=-1).tolist()
    chosen = []
    for index, row in enumerate(rows):
        scores, settings = logits[index], row.sampling
        if settings.repetition_penalty and settings.repetition_penalty != 1.0:
            seen = torch.tensor(row.prompt + row.generated, device=scores.device).unique()
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
