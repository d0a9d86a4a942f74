"""One lock per loaded model, shared by every LangChain object that wraps it, and waiting for it in a way a
caller that has gone (an HTTP client) can leave."""

from __future__ import annotations

import threading
import weakref
from typing import Any

_model_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()
POLL_S = 0.1  # how often a waiting or generating call looks at its caller's cancel event


def lock_for(model: Any) -> threading.Lock:
    """The lock of ``model``, created at its first use."""
    with _locks_guard:
        return _model_locks.setdefault(model, threading.Lock())


def acquire_unless_cancelled(lock: threading.Lock, cancelled: threading.Event | None) -> bool:
    """Wait for the model; False (without the lock) once the caller has cancelled."""
    if cancelled is None:
        lock.acquire()
        return True
    while not lock.acquire(timeout=POLL_S):
        if cancelled.is_set():
            return False
    if cancelled.is_set():
        lock.release()
        return False
    return True
