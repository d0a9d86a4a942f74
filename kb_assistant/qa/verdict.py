"""What the grounding check returns: the verified answer, its status and the evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kb_assistant.qa.claims import Claim
from kb_assistant.qa.evidence import Span

Status = Literal["answered", "extractive", "refused"]


@dataclass
class Verdict:
    """The verified answer: what users are shown, and why."""

    answer: str
    status: Status
    claims: list[Claim]
    corrections: list[str]
    evidence: dict[int, Span]
    """The supporting span of each source the answer uses, by source number."""

    @property
    def used(self) -> list[int]:
        """Source numbers the verified answer cites."""
        return sorted(self.evidence)
