"""ASGI guards in front of every route: a body limit enforced while the body is read, a ``Host`` allow-list
(DNS rebinding) and the refusal of writes sent by other web pages (cross-site request forgery)."""

from __future__ import annotations

import ipaddress
import json

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Content types a page can send to another origin without a CORS preflight ("simple requests").
_SIMPLE_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded", "text/plain")
PAGE_HEADER = "x-kb-client"
"""Header the web page sends with every request; browsers cannot add it cross-site without CORS."""
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


async def send_error(send: Send, status: int, detail: str) -> None:
    """The API's ``{"detail": ...}`` error, sent before any route ran; the connection is closed after it."""
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes the limit, whatever its transfer encoding."""

    def __init__(self, limit_mb: float) -> None:
        super().__init__(413, f"request body over {limit_mb:g} MB: send smaller files or fewer at once")


class BodyLimit:
    """413 for bodies over ``limit_mb``: at once from ``Content-Length``, else while reading (chunked bodies).
    The request is cut off before a route sees it, so nothing of it is ingested or kept."""

    def __init__(self, app: ASGIApp, limit_mb: float) -> None:
        self.app = app
        self.limit_mb = limit_mb
        self.max_bytes = int(limit_mb * 2**20)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await send_error(send, 413, BodyTooLarge(self.limit_mb).detail)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.limit_mb)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as e:
            if not started:
                await send_error(send, 413, e.detail)


def host_name(host_header: str) -> str:
    """'example.com:8000' -> 'example.com', '[::1]:8000' -> '::1'."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SameSiteWrites:
    """Answers only to allowed ``Host`` names, and refuses writes that other web pages send.

    A page on another origin can make the user's browser post a form (an upload) or a text body to us
    without any CORS check; and a DNS-rebinding page reaches us under its own host name. So:
    a ``Host`` that is not loopback, the bound address or in ``allowed_hosts`` gets 400; a write whose
    ``Origin`` is another origin (not in ``cors_origins``), or that the browser marks ``Sec-Fetch-Site:
    cross-site``/``same-site``, gets 403; a browser form post with neither header must carry the page's own
    ``X-KB-Client`` header. Clients that are not browsers (curl, SDKs) send none of these and pass.
    """

    def __init__(self, app: ASGIApp, bound_host: str, allowed_hosts: list[str], allowed_origins: list[str]) -> None:
        self.app = app
        self.any_host = bound_host in WILDCARD_HOSTS
        self.hosts = {bound_host.lower(), *(h.lower() for h in allowed_hosts)}
        self.origins = {o.rstrip("/").lower() for o in allowed_origins}

    def _host_allowed(self, host: str) -> bool:
        return self.any_host or host in self.hosts or is_loopback(host)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = Headers(scope=scope)
        host_header = headers.get("host", "")
        if not self._host_allowed(host_name(host_header)):
            return 400, (f"this server does not answer to host {host_header!r}: use its address, or add the name "
                         "to allowed_hosts (KB_ALLOWED_HOSTS)")
        if scope["method"] in _SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None:
            own = f"{scope.get('scheme', 'http')}://{host_header}".lower()
            if origin.rstrip("/").lower() not in {own, *self.origins}:
                return 403, (f"requests from the web page {origin!r} may not change anything here: add its origin "
                             "to cors_origins (KB_CORS_ORIGINS) to allow it")
            return None
        if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
            return 403, "requests from other web pages may not change anything here"
        content_type = headers.get("content-type", "").lower()
        from_browser = "mozilla/" in headers.get("user-agent", "").lower()
        if from_browser and content_type.startswith(_SIMPLE_TYPES) and PAGE_HEADER not in headers:
            return 403, f"form posts need the {PAGE_HEADER!r} header that the kb-assistant page sends"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await send_error(send, *refusal)
                return
        await self.app(scope, receive, send)

