"""Giving memory back to the system between bursts of work.

Each request runs in its own threads, and glibc gives busy threads their own malloc arenas: the activations
of a generation land in one of up to 8 x cores arenas, and freed pages stay in them. Capping the arenas and
trimming when the queue goes idle keeps the server's RSS near its steady state instead of its peak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

logger = logging.getLogger(__name__)
_M_ARENA_MAX = -8  # mallopt parameter number in glibc's malloc.h


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas (no-op elsewhere); call before the server starts its threads."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_ARENA_MAX, arenas)


def release_free_memory() -> None:
    """Return freed heap pages to the system (glibc's ``malloc_trim``; no-op elsewhere)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
