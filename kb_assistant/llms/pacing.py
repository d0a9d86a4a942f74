"""How the generation engine keeps requests that were decoding before new prompts came at a share of their speed.

While such requests decode and prompts wait behind them, the engine alternates prompt pieces with decode steps.
Each step gives every decoding request one token; a pass over a prompt piece takes several decode steps' time.
The pacer counts, in tokens, what the earlier requests got beyond ``share`` of their speed (a credit), and the
engine puts a decode step in whenever the credit is below zero.

Their speed is a decode step's time at as many rows as decoded when the oldest waiting prompt came: the median
of the recent decode steps of that batch size's graph. It guards against two things seen on an H200: the steps
while a burst is being submitted run slow (a moving average took them in, rose from 4.8 to 6.0 ms, and the
decoders kept 40%, not 50%; a median of 32 steps per batch size does not move for a few); and a step's time
grows with the batch (int8: 3.5 ms at 1 row, 5.1 ms at 32), so one yardstick for every batch, measured while
few requests decoded, made 32 closed-loop clients' decode steps pay back a quarter of a token each and their
prompts wait 1.6 s (TTFT p50).
"""

from __future__ import annotations

import statistics
from collections import deque

from kb_assistant.llms.kv_decoder import BATCH_BUCKETS

BACK_TO_BACK = 0.01
"""A step that starts within this many seconds of the last one's end counts its time from that end: the
scheduler's own time between steps is the decoders' wait too."""
_KEPT = 32
"""Decode steps kept per batch size for the median."""
_OUTLIERS = 3
"""Steps in a row 3x slower than the median that mean the median is wrong, not that they are captures: the
batch size's times start again from them."""


def batch_bucket(rows: int) -> int:
    """The decode graph's batch size for this many rows (steps of one bucket take about the same time)."""
    return next((b for b in BATCH_BUCKETS if rows <= b), rows)


class DecodePacer:
    """The credit of the requests decoding before the waiting prompts, and the decode-step times it is measured
    against. ``share`` is kept between 0.05 and 1."""

    def __init__(self, share: float) -> None:
        self.share = min(max(share, 0.05), 1.0)
        self.credit = 0.0
        """Tokens the earlier requests got beyond ``share`` of their speed since prompts came to wait behind them."""
        self.paced_rows = 1
        """Rows decoding when the oldest waiting prompt came (the last paced step's): the yardstick's batch size."""
        self._times: dict[int, deque[float]] = {}
        self._slow: dict[int, list[float]] = {}
        self._last_end = 0.0

    def yardstick(self, rows: int) -> float | None:
        """A decode step's time at ``rows`` rows: the median of the recent ones of its batch size, else of the
        nearest batch size measured (the smaller on a tie); None before any."""
        if not self._times:
            return None
        wanted = batch_bucket(rows)
        nearest = min(self._times, key=lambda b: (abs(b.bit_length() - wanted.bit_length()), abs(b - wanted), b))
        return statistics.median(self._times[nearest])

    @property
    def decode_seconds(self) -> float | None:
        """The yardstick for the requests that came before the waiting prompts; None before any decode step."""
        return self.yardstick(self.paced_rows)

    def owes(self) -> bool:
        """Whether the next step, while prompts wait behind earlier requests, must be a decode step for them."""
        return self.credit < 0 or self.decode_seconds is None

    def step(self, started: float, ended: float, prompt_tokens: int, rows: int, paced_rows: int) -> None:
        """Account for a step that ran from ``started`` to ``ended`` with ``prompt_tokens`` prompt tokens (0 for a
        decode step) and ``rows`` decoding rows. ``paced_rows``: 0 when no prompt waits behind a request that
        was decoding before it came; else how many rows decoded when the oldest waiting prompt came."""
        back_to_back = started - self._last_end < BACK_TO_BACK
        self.account(ended - (self._last_end if back_to_back else started), prompt_tokens, rows, paced_rows)
        self._last_end = ended

    def account(self, seconds: float, prompt_tokens: int, rows: int, paced_rows: int) -> None:
        """Decode steps set their batch size's yardstick; while earlier requests are paced, each step adds their
        token less what ``share`` of their speed at ``paced_rows`` rows asks for its time."""
        if not prompt_tokens and rows:
            # the first decode step measured, whatever it is; then any that is not a graph's capture (3x the
            # nearest batch size's time). Steps while prompts wait count too: when prompts come faster than they
            # are served, no step is free of them, and a batch size's time would never be measured.
            # A first step timed wrong (too short) must not make every later one look like a capture.
            reference, bucket = self.yardstick(rows), batch_bucket(rows)
            if reference is None or seconds < 3 * reference:
                self._times.setdefault(bucket, deque(maxlen=_KEPT)).append(seconds)
                self._slow.pop(bucket, None)
            else:
                slow = self._slow.setdefault(bucket, [])
                slow.append(seconds)
                if len(slow) >= _OUTLIERS:
                    self._times[bucket] = deque(slow, maxlen=_KEPT)
                    del self._slow[bucket]
        if not paced_rows:
            self.credit = 0.0
            return
        self.paced_rows = paced_rows
        yardstick = self.decode_seconds
        if yardstick is None:
            return
        self.credit = min(1.0, self.credit + 1.0 - self.share * seconds / yardstick)
