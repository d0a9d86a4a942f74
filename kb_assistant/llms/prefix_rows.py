"""The prefix cache's spare rows: recent prompts' keys/values kept past the request rows, so that a prompt that
starts like one of them (or like a running request's) copies that prefix instead of computing it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Prefix:
    """A spare cache row holding a recent prompt's keys/values."""

    row: int
    tokens: list[int] | None = None
    used_at: float = 0.0


class PrefixRows:
    """Cache rows ``first_row .. first_row + count - 1``, each keeping one recent prompt (the least recently used
    gives way)."""

    def __init__(self, first_row: int, count: int) -> None:
        self._rows = [_Prefix(first_row + i) for i in range(count)]

    def longest(self, prompt: list[int], running: list[tuple[list[int], int]]) -> tuple[int, int]:
        """The longest prefix of ``prompt`` that a row holds, among the kept prompts and ``running`` (a running
        request's prompt and row): its length and row (0 and -1 for none)."""
        sources = running + [(p.tokens, p.row) for p in self._rows if p.tokens]
        best, row = 0, -1
        for tokens, source_row in sources:
            shared = shared_length(tokens, prompt)
            if shared > best:
                best, row = shared, source_row
        return best, row

    def used(self, row: int) -> None:
        """A prefix was copied from ``row`` (it stays longer if it is one of these rows)."""
        for prefix in self._rows:
            if prefix.row == row:
                prefix.used_at = time.perf_counter()

    def remember(self, prompt: list[int], slot: int, move_row: Callable[[int, int, int], None]) -> None:
        """Keep ``prompt``, cached in row ``slot``, unless a row holds it already: it replaces a shorter version
        of itself, else the least recently used prompt. ``move_row(source, target, used)`` copies the cache."""
        if not self._rows:
            return
        for prefix in self._rows:
            if prefix.tokens is not None and shared_length(prefix.tokens, prompt) >= len(prefix.tokens):
                if len(prefix.tokens) >= len(prompt):
                    prefix.used_at = time.perf_counter()
                    return  # already kept, as long or longer
                target = prefix  # a longer version of a kept prompt replaces it
                break
        else:
            target = min(self._rows, key=lambda p: p.used_at)
        move_row(slot, target.row, len(prompt))
        target.tokens, target.used_at = list(prompt), time.perf_counter()


def shared_length(first: list[int], second: list[int]) -> int:
    """How many leading tokens two prompts share."""
    limit = min(len(first), len(second))
    if first[:limit] == second[:limit]:
        return limit
    low, high = 0, limit  # first[:low] == second[:low] holds; first[:high] != second[:high]
    while high - low > 1:
        middle = (low + high) // 2
        if first[:middle] == second[:middle]:
            low = middle
        else:
            high = middle
    return low
