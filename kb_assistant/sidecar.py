"""Side files kept next to the Chroma store (the BM25 index, the English index's state), written atomically."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


def read_pickle(path: Path, kind: type[T], what: str) -> T | None:
    """The object saved at ``path`` if it is a ``kind``; None when missing or unreadable (then rebuilt)."""
    if path.exists():
        try:
            with path.open("rb") as f:
                value = pickle.load(f)
            if isinstance(value, kind):
                return value
        except (pickle.UnpicklingError, EOFError, AttributeError):
            pass
        logger.warning("%s %s unreadable; rebuilding it", what, path)
    return None


def write_pickle(path: Path, value: Any) -> None:
    """Save ``value`` at ``path``: written aside, then renamed, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    with partial.open("wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
