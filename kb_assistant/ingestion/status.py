"""What an ingest run reports: one outcome per file, and the run's totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["added", "updated", "unchanged", "removed", "failed", "skipped"]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    source: str
    status: Status
    chunks: int = 0
    reason: str | None = None


@dataclass
class IngestReport:
    """The result of one ingest run."""

    kb: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        """Number of files with this status."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[FileOutcome]:
        """Files that could not be indexed, with reasons."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed
