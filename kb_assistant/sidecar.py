"""Side files kept next to the Chroma store (the English index's state): JSON, written atomically.

JSON, not pickle: anyone who can write to the persist folder must not be able to run code in ours.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def read_ids(path: Path, what: str) -> set[str] | None:
    """The set of ids saved at ``path``; None when missing or unreadable (then rebuilt)."""
    if path.exists():
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return set(value)
        except (OSError, ValueError):
            pass
        logger.warning("%s %s unreadable; rebuilding it", what, path)
    return None


def write_ids(path: Path, ids: set[str]) -> None:
    """Save ``ids`` at ``path``: written aside, then renamed, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(sorted(ids)), encoding="utf-8")
    partial.replace(path)
