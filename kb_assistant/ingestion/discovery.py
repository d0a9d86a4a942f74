"""Finding the files under the paths given to ``ingest``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kb_assistant.errors import IngestError


@dataclass(frozen=True)
class FoundFile:
    """A file to ingest, or a path that could not be walked (``problem`` set)."""

    root: Path
    path: Path
    problem: str | None = None

    @property
    def source(self) -> str:
        """Path relative to the ingest root, as shown to users and stored on chunks."""
        rel = os.path.relpath(self.path, self.root) if self.path != self.root else self.path.name
        return Path(rel).as_posix()


def display_name(path: str | Path) -> str:
    """A printable name even for file names that are not valid UTF-8."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def valid_name(path: Path) -> bool:
    """File names must be valid UTF-8 to be stored."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def discover_files(paths: list[Path]) -> Iterator[FoundFile]:
    """Yield every non-hidden file under ``paths`` (files are yielded with their folder as root).

    Symlinked folders are not followed (no loops); symlinked files are, and a broken or looping link is
    reported as a problem.
    """
    for given in paths:
        if not given.exists() and not given.is_symlink():
            msg = f"{display_name(given)} does not exist"
            raise IngestError(msg)
        absolute = Path(os.path.abspath(given))
        if not absolute.is_dir():
            yield FoundFile(root=absolute.parent, path=absolute)
            continue
        problems: list[OSError] = []
        for folder, dirs, files in os.walk(absolute, followlinks=False, onerror=problems.append):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield FoundFile(root=absolute, path=Path(folder) / name)
        for error in problems:
            where = Path(error.filename) if error.filename else absolute
            yield FoundFile(root=absolute, path=where, problem=f"cannot read folder: {error.strerror}")
