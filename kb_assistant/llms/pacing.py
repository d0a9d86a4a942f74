"""How the generation engine keeps requests that were decoding before new prompts came at a share of their speed.

While such requests decode and prompts wait behind them, the engine alternates prompt pieces with decode steps.
Each step gives every decoding request one token; a pass over a prompt piece takes several decode steps' time.
The pacer counts, in tokens, what the earlier requests got beyond ``share`` of their speed before the prompts
came (a credit), and the engine puts a decode step in whenever the credit is below zero. Their speed before is
the median of the last decode steps: the steps while a burst is being submitted run slow, and a moving average
took them in (on an H200 it rose from 4.8 to 6.0 ms and the decoders kept 40%, not 50%).
"""

from __future__ import annotations

import statistics
from collections import deque

BACK_TO_BACK = 0.01
"""A step that starts within this many seconds of the last one's end counts its time from that end: the
scheduler's own time between steps is the decoders' wait too."""


class DecodePacer:
    """The credit of the requests decoding before the waiting prompts, and the decode-step time it is measured
    against. ``share`` is kept between 0.05 and 1."""

    def __init__(self, share: float) -> None:
        self.share = min(max(share, 0.05), 1.0)
        self.credit = 0.0
        """Tokens the earlier requests got beyond ``share`` of their speed since prompts came to wait behind them."""
        self._times: deque[float] = deque(maxlen=32)
        self._last_end = 0.0

    @property
    def decode_seconds(self) -> float | None:
        """A decode step's time before the prompts came (the median of the recent ones); None before any."""
        return statistics.median(self._times) if self._times else None

    def owes(self) -> bool:
        """Whether the next step, while prompts wait behind earlier requests, must be a decode step for them."""
        return self.credit < 0 or self.decode_seconds is None

    def step(self, started: float, ended: float, prompt_tokens: int, paced: bool) -> None:
        """Account for a step that ran from ``started`` to ``ended`` with ``prompt_tokens`` prompt tokens (0 for a
        decode step); ``paced`` when prompts waited behind earlier decoding requests."""
        back_to_back = started - self._last_end < BACK_TO_BACK
        self.account(ended - (self._last_end if back_to_back else started), prompt_tokens, paced)
        self._last_end = ended

    def account(self, seconds: float, prompt_tokens: int, paced: bool) -> None:
        """Decode steps set the yardstick; while paced, each step adds its token less what ``share`` of the
        earlier speed asks for its time."""
        yardstick = self.decode_seconds
        # decode steps before the prompts came (the first one measured, whatever it is), not a graph's capture
        if not prompt_tokens and (yardstick is None or (not paced and seconds < 3 * yardstick)):
            self._times.append(seconds)
            yardstick = self.decode_seconds
        if not paced or yardstick is None:
            self.credit = 0.0
            return
        self.credit = min(1.0, self.credit + 1.0 - self.share * seconds / yardstick)
