"""The web chat page: static files at ``/ui`` that talk to the same guarded API as any other client.

The page itself holds no data, so it is served without the API key; every call it makes sends the key the
user typed in, and the API refuses it otherwise.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

UI_DIR = Path(__file__).with_name("ui")
# No inline script, no third-party origin: an injected answer or file name cannot run code in the page.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "frame-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class _UIFiles(StaticFiles):
    """StaticFiles with the page's security headers and no caching of stale versions."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", _CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-cache"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


def mount_ui(app: FastAPI) -> None:
    """Serve the page at ``/ui/`` and send browsers that open ``/`` there."""
    app.mount("/ui", _UIFiles(directory=UI_DIR, html=True), name="ui")

    @app.get("/", response_class=RedirectResponse, status_code=307,
             responses={307: {"description": "To the web page at /ui/"}})
    async def root() -> RedirectResponse:
        """Browsers that open the server's address go to the web page (``POST /`` is the tutorials' API)."""
        return RedirectResponse("/ui/")
