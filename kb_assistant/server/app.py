"""The FastAPI application factory. Models load once, in the background, at start-up; ``/health`` says
when they are ready."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from kb_assistant.config import Settings
from kb_assistant.errors import ConfigError, EmbeddingMismatchError, KBError, KBNotFoundError, StoreBusyError
from kb_assistant.server.deps import require_api_key
from kb_assistant.server.guards import BodyLimit, SameSiteWrites, is_loopback
from kb_assistant.server.state import AppState

logger = logging.getLogger(__name__)


def check_binding(settings: Settings) -> None:
    """An API key is required to listen on anything but loopback."""
    if not is_loopback(settings.host) and not settings.api_key:
        msg = f"binding to {settings.host} exposes the server: set an API key (KB_API_KEY or --api-key) first"
        raise ConfigError(msg)


def create_app(settings: Settings, *, llm: Any = None, embeddings: Any = None) -> FastAPI:
    """The API app. ``llm`` / ``embeddings`` may be given (any LangChain chat model / our embeddings)."""
    check_binding(settings)
    state = AppState(settings, llm, embeddings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not state.loaded.is_set():
            threading.Thread(target=state.load, name="kb-load", daemon=True).start()
        yield

    # No /docs or /redoc: FastAPI's pages load their scripts from a CDN and are blank offline. The schema
    # is served (behind the API key, like everything that is not the page or /health) for any OpenAPI viewer.
    app = FastAPI(title="kb-assistant", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.kb = state
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"])
    # Ours, not Starlette's RequestBodyLimitMiddleware: that one answers in plain text and only once a route
    # reads the body; ours refuses an announced oversize body at once, with the API's JSON error.
    app.add_middleware(BodyLimit, limit_mb=settings.max_body_mb)
    app.add_middleware(SameSiteWrites, bound_host=settings.host, allowed_hosts=settings.allowed_hosts,
                       allowed_origins=settings.cors_origins)  # outermost: refused before the body is read

    @app.exception_handler(KBError)
    async def kb_error(request: Request, exc: KBError) -> JSONResponse:
        status = 404 if isinstance(exc, KBNotFoundError) else 409 if isinstance(exc, (StoreBusyError, EmbeddingMismatchError)) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    from kb_assistant.server.routes_chat import router as chat_router
    from kb_assistant.server.routes_kb import router as kb_router

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if exc.status_code == 405:  # Starlette lists only the first matching route's methods in Allow
            methods: set[str] = set()
            for route in [*app.router.routes, *chat_router.routes, *kb_router.routes]:
                if getattr(route, "methods", None) and route.matches(request.scope)[0] != Match.NONE:
                    methods |= getattr(route, "methods", None) or set()
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))}
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
        return JSONResponse({"detail": f"invalid request: {problems}"}, status_code=422)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Liveness and readiness: status is loading, ready or error."""
        status = "loading" if not state.loaded.is_set() else "error" if state.error else "ready"
        return {"status": status, "error": state.error, "llm": settings.llm_model, "embeddings": settings.embedding_model,
                "queue": {"active": state.gate.active, "limit": state.gate.limit}}

    guarded = [Depends(require_api_key)]

    @app.get("/openapi.json", include_in_schema=False, dependencies=guarded)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    app.include_router(chat_router, dependencies=guarded)
    app.include_router(kb_router, dependencies=guarded)
    if settings.ui:
        from kb_assistant.server.routes_ui import mount_ui

        mount_ui(app)
    return app
