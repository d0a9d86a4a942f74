"""Cancelling generation from the caller's side.

A server whose client has gone sets the event of the scope the work runs in; every chat model call made
inside that scope stops waiting for its turn on the model, or stops at its next token. The scope is a
context variable, so it reaches the model through LangChain chains without any of them passing it on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_scope: ContextVar[threading.Event | None] = ContextVar("kb_assistant_cancel", default=None)


@contextmanager
def cancellable(event: threading.Event) -> Iterator[threading.Event]:
    """Run the body so that setting ``event`` cancels the generations it starts."""
    token = _scope.set(event)
    try:
        yield event
    finally:
        _scope.reset(token)


def cancel_event() -> threading.Event | None:
    """The event of the innermost :func:`cancellable` scope, if any."""
    return _scope.get()


def is_cancelled() -> bool:
    """True when the work running here has been cancelled."""
    event = _scope.get()
    return event is not None and event.is_set()
