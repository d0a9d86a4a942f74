"""Dependencies shared by the routes: the app state, the API key, ready models, a generation slot."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from kb_assistant.config import KB_NAME_PATTERN
from kb_assistant.server.state import AppState


def get_state(request: Request) -> AppState:
    return request.app.state.kb  # type: ignore[no-any-return]


State = Annotated[AppState, Depends(get_state)]


def require_api_key(request: Request, state: State) -> None:
    """Bearer token check, when the server has an API key."""
    expected = state.settings.api_key
    if not expected:
        return
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong API key: send 'Authorization: Bearer <key>'", headers={"WWW-Authenticate": "Bearer"})


def require_ready(state: State) -> AppState:
    """503 while models load (or when loading failed), with the reason."""
    if not state.loaded.is_set():
        raise HTTPException(503, "models are still loading; retry shortly (see /health)", headers={"Retry-After": "5"})
    if state.error:
        raise HTTPException(503, f"models failed to load: {state.error}")
    return state


Ready = Annotated[AppState, Depends(require_ready)]


def check_kb_name(kb: str) -> str:
    if not KB_NAME_PATTERN.match(kb):
        raise HTTPException(400, f"invalid knowledge-base name {kb!r}: use letters, digits, '-' and '_'")
    return kb


def busy() -> HTTPException:
    return HTTPException(
        429, "the server is busy (generation queue full); retry after a few seconds", headers={"Retry-After": "2"}
    )
