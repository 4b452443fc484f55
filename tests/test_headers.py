"""Every response tells the browser what it may run, frame and send along."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.asgi import create_asgi
from server.config import PROJECT_ROOT, Settings

PATHS = [
    "/",
    "/login",
    "/desk",
    "/admin",
    "/api/docs",
    "/api/openapi.json",
    "/health",
    "/board",
    "/static/js/api.js",
    "/static/generated/server.js",
    "/api/auth/me",
    "/api/nothing-here",
    "/t/not-a-link",
]


@pytest.mark.parametrize("path", PATHS)
async def test_every_response_carries_the_security_headers(client: Client, path: str) -> None:
    response = await client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers  # plain http in tests


async def test_hsts_is_sent_when_cookies_are_secure(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = create_app(settings.model_copy(update={"cookie_secure": True}))
    async with app.test_app():
        response = await app.test_client().get("/health")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def pages() -> list[Path]:
    return sorted((PROJECT_ROOT / "web" / "templates").glob("*.html")) + sorted(
        (PROJECT_ROOT / "displays").glob("*.html")
    )


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_no_page_has_inline_script_or_event_handlers(page: Path) -> None:
    html = page.read_text()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script in {page.name}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html), f"an on* handler in {page.name}"
    assert "javascript:" not in html


async def test_the_api_docs_page_starts_swagger_from_a_file(client: Client) -> None:
    html = await (await client.get("/api/docs")).get_data(as_text=True)
    assert '<script type="module" src="/static/js/api-docs.js"></script>' in html
    assert re.search(r"<script>", html) is None


async def test_socketio_http_responses_carry_them_too(
    settings: Settings, engine: AsyncEngine
) -> None:
    served = create_asgi(settings)
    transport = httpx.ASGITransport(app=served)
    async with httpx.AsyncClient(transport=transport, base_url="http://clinic.test") as http:
        response = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
