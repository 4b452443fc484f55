"""Security headers on every response: what a browser may load, frame and send along."""

from __future__ import annotations

from typing import Any

from quart import Quart, Response

from server.config import Settings

ASGI = Any  # an ASGI application: async (scope, receive, send)

# Scripts only from this site's files: no inline script, no eval. Styles also allow inline
# `style` attributes (two layout widths and Swagger UI's own); nothing can inject markup,
# since the pages build their DOM from text. No page is meant to be framed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS_S = 365 * 24 * 3600


def security_headers(settings: Settings) -> dict[str, str]:
    """Return the headers every response carries (HSTS only when cookies are https-only)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        # Ticket links carry a signed token in their path: never send it anywhere.
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",  # for browsers older than frame-ancestors
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if settings.cookie_secure:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_S}"
    return headers


def install(app: Quart, settings: Settings) -> None:
    """Add the security headers to every response of `app`, errors included."""
    headers = security_headers(settings)

    @app.after_request
    async def _add(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response


def wrap(inner: ASGI, settings: Settings) -> ASGI:
    """Add the headers to HTTP responses that do not pass through Quart (Socket.IO polling)."""
    extra = [(k.lower().encode(), v.encode()) for k, v in security_headers(settings).items()]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                missing = [(k, v) for k, v in extra if k not in present]
                if missing:
                    message = {**message, "headers": [*message.get("headers", []), *missing]}
            await send(message)

        await inner(scope, receive, send_with_headers)

    return app
