"""Compress responses at the edge: brotli or gzip for text, never a response that holds a secret.

BREACH-style attacks read a secret out of a compressed response by making the victim's browser
send guesses that the response reflects next to the secret, and watching the size change. So
only what cannot carry a per-user secret is compressed: answers to GET that set no
cookie and that the app does not mark `Cache-Control: no-store`. That leaves out every
response that holds a secret: logins and the creation of tokens, keys and links are POSTs (and
set cookies), and a GET that shows a secret (`/api/auth/me`'s CSRF token, a ticket link's page,
a board with its display key) is `no-store` anyway, so that no cache keeps it either
(docs/accessibility.md).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import brotli  # type: ignore[import-untyped]

ASGI = Any  # an ASGI application: async (scope, receive, send)

# Text, scripts, styles, JSON and SVG; images, fonts and archives are compressed already.
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/csv",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
    }
)
MIN_SIZE = 1024  # smaller bodies gain less than a packet
# The files that make up the pages (the bulk of their bytes) and the OpenAPI document; the API's
# other JSON answers are small, per user, and stay as they are.
FILES = ("/static/", "/vendor/", "/displays/", "/favicon.svg", "/api/openapi.json")
GZIP_LEVEL = 6
BROTLI_QUALITY = 5  # per response, on the fly: close to gzip's speed, a smaller result


def choose_encoding(accept_encoding: str) -> str | None:
    """Return "br" or "gzip" as the client's Accept-Encoding allows (brotli first), or None."""
    offered: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        offered[name.strip().lower()] = quality
    wildcard = offered.get("*", 0.0)
    for encoding in ("br", "gzip"):
        if offered.get(encoding, wildcard) > 0:
            return encoding
    return None


def may_compress(method: str, path: str, status: int, headers: dict[str, str]) -> bool:
    """Tell whether a response may be compressed: public text, big enough, no secret in it."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    length = headers.get("content-length")
    return (
        method == "GET"  # a HEAD's empty body stays as it is
        and (path.startswith(FILES) or content_type == "text/html")
        and 200 <= status < 300
        and status != 204
        and content_type in COMPRESSIBLE
        and "content-encoding" not in headers
        and "content-range" not in headers
        and "set-cookie" not in headers
        and "no-store" not in headers.get("cache-control", "").lower()
        and (length is None or int(length) >= MIN_SIZE)
    )


def compressor(encoding: str) -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
    """Return (feed, finish) for a streaming brotli or gzip compressor."""
    if encoding == "br":
        stream = brotli.Compressor(quality=BROTLI_QUALITY)
        return stream.process, stream.finish
    gzip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    return gzip.compress, gzip.flush


def _vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Add Accept-Encoding to the Vary header, keeping what it already says."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"accept-encoding" not in value.lower():
                headers[index] = (name, value + b", Accept-Encoding")
            return headers
    return [*headers, (b"vary", b"Accept-Encoding")]


def wrap(inner: ASGI) -> ASGI:
    """Compress `inner`'s HTTP responses the client accepts compressed (WebSockets untouched)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        request_headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        encoding = choose_encoding(request_headers.get("accept-encoding", b"").decode("latin-1"))
        state: dict[str, Any] = {"feed": None, "finish": None}

        async def send_compressed(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}
                if encoding and may_compress(
                    scope["method"], scope["path"], message["status"], headers
                ):
                    state["feed"], state["finish"] = compressor(encoding)
                    raw = [(k, v) for k, v in raw if k.lower() != b"content-length"]
                    raw = [(k, _weak(v) if k.lower() == b"etag" else v) for k, v in raw]
                    raw.append((b"content-encoding", encoding.encode()))
                    message = {**message, "headers": _vary(raw)}
                elif headers.get("content-type", "").split(";")[0].strip() in COMPRESSIBLE:
                    message = {**message, "headers": _vary(raw)}
                await send(message)
                return
            if message["type"] == "http.response.body" and state["feed"] is not None:
                more = message.get("more_body", False)
                body = state["feed"](message.get("body", b""))
                if not more:
                    body += state["finish"]()
                if body or not more:
                    await send({**message, "body": body})
                return
            await send(message)

        await inner(scope, receive, send_compressed)

    return app


def _weak(etag: bytes) -> bytes:
    """Mark an ETag weak: the compressed bytes differ from the file it names."""
    return etag if etag.startswith(b"W/") else b"W/" + etag
