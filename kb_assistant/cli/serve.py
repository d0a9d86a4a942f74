"""The serve command."""

from __future__ import annotations

from typing import Annotated

import typer

from kb_assistant.cli.app import app, err, settings_from


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 6006).")] = None,
    api_key: Annotated[str | None, typer.Option(help="Require this Bearer token (needed off loopback).", envvar="KB_API_KEY")] = None,
) -> None:
    """Serve the web chat page (/ui/) and the HTTP API: POST / (tutorial), /v1/chat/completions, /v1/embeddings,
    /v1/kbs, /health."""
    import uvicorn

    from kb_assistant.server import create_app
    from kb_assistant.server.memory import limit_malloc_arenas

    settings = settings_from(ctx, host=host, port=port, api_key=api_key)
    limit_malloc_arenas()
    application = create_app(settings)
    base = f"http://{settings.host}:{settings.port}"
    page = f"; chat page at {base}/ui/" if settings.ui else ""
    err.print(f"serving on {base} (models load in the background; see /health){page}")
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5)
