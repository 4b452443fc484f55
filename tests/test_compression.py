"""Pages, scripts, styles and JSON travel compressed; a response holding a secret never does."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from typing import Any

import brotli
import httpx
import pytest
from quart import Quart
from sqlalchemy.ext.asyncio import AsyncEngine

from server import compression
from server.asgi import create_asgi
from server.config import PROJECT_ROOT, Settings
from server.models import Role
from server.services import Services
from tests.api.test_auth import add_login

BOOTSTRAP_CSS = "/vendor/bootstrap/dist/css/bootstrap.min.css"


@pytest.fixture
async def http(app: Quart) -> AsyncIterator[httpx.AsyncClient]:
    """Yield a client of the app behind the compression layer, as `clinic serve` runs it."""
    transport = httpx.ASGITransport(app=compression.wrap(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://clinic.test") as client:
        yield client


async def fetch(
    http: httpx.AsyncClient, path: str, accept: str, method: str = "GET"
) -> tuple[httpx.Response, bytes]:
    """Return the response and its body as it came over the wire (httpx would decode it)."""
    async with http.stream(method, path, headers={"Accept-Encoding": accept}) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("*", "br"),
        ("identity", None),
        ("", None),
        ("gzip;q=0", None),
    ],
)
def test_brotli_is_preferred_when_the_client_offers_it(accept: str, chosen: str | None) -> None:
    assert compression.choose_encoding(accept) == chosen


async def test_scripts_styles_and_pages_travel_compressed(http: httpx.AsyncClient) -> None:
    original = (PROJECT_ROOT / "node_modules/bootstrap/dist/css/bootstrap.min.css").read_bytes()
    with_br, br_body = await fetch(http, BOOTSTRAP_CSS, "gzip, br")
    with_gzip, gzip_body = await fetch(http, BOOTSTRAP_CSS, "gzip")
    plain, plain_body = await fetch(http, BOOTSTRAP_CSS, "identity")

    assert with_br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br_body) == original
    assert len(br_body) < len(original) / 5
    assert with_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzip_body) == original
    assert "Content-Encoding" not in plain.headers and plain_body == original
    for response in (with_br, with_gzip, plain):
        assert "Accept-Encoding" in response.headers["Vary"]
    script = await http.get("/static/js/desk.js", headers={"Accept-Encoding": "br"})
    assert script.headers["Content-Encoding"] == "br"
    openapi = await http.get("/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert openapi.headers["Content-Encoding"] == "gzip" and openapi.json()["paths"]


async def test_a_compressed_file_is_still_revalidated(http: httpx.AsyncClient) -> None:
    first = await http.get(BOOTSTRAP_CSS, headers={"Accept-Encoding": "br"})
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')  # the compressed bytes are not the file's bytes
    again = await http.get(BOOTSTRAP_CSS, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304


async def test_nothing_that_holds_a_secret_is_compressed(
    services: Services, http: httpx.AsyncClient
) -> None:
    await add_login(services, Role.STAFF, password="correct horse battery")
    headers = {"Accept-Encoding": "gzip, br"}
    login = await http.post(
        "/api/auth/login",
        json={"username": "login-staff", "password": "correct horse battery"},
        headers=headers,
    )
    assert login.status_code == 200 and "Content-Encoding" not in login.headers
    me = await http.get("/api/auth/me", headers=headers)
    assert me.json()["csrf_token"] and me.headers["Cache-Control"] == "no-store"
    assert "Content-Encoding" not in me.headers
    # The board page is kept by no cache (its address holds the display key).
    board = await http.get("/board?key=dk_anything", headers=headers)
    assert board.headers["Cache-Control"] == "no-store"
    assert "Content-Encoding" not in board.headers


async def inner_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app whose headers and chunks the test picks through the path."""
    kind, _, extra = scope["path"].strip("/").partition("/")
    headers = [(b"content-type", b"text/html; charset=utf-8" if kind != "png" else b"image/png")]
    if extra:
        headers.append(tuple(extra.encode().split(b"=", 1)))  # type: ignore[arg-type]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for chunk in range(3):
        await send({"type": "http.response.body", "body": b"<p>row</p>" * 200, "more_body": True})
        del chunk
    await send({"type": "http.response.body", "body": b"", "more_body": False})


@pytest.mark.parametrize(
    ("path", "method", "compressed"),
    [
        ("/html", "GET", True),  # streamed in chunks, no length known
        ("/html", "POST", False),  # answers to writes may hold a new key, link or token
        ("/html/set-cookie=a=b", "GET", False),
        ("/html/cache-control=private, no-store", "GET", False),
        ("/html/content-length=10", "GET", False),  # too small to gain anything
        ("/png", "GET", False),  # compressed already
    ],
)
async def test_what_is_compressed_follows_method_headers_and_type(
    path: str, method: str, compressed: bool
) -> None:
    transport = httpx.ASGITransport(app=compression.wrap(inner_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://clinic.test") as client:
        response, body = await fetch(client, path, "gzip", method)
    assert ("Content-Encoding" in response.headers) is compressed
    if compressed:
        assert gzip.decompress(body) == b"<p>row</p>" * 600


async def test_the_served_app_compresses(settings: Settings, engine: AsyncEngine) -> None:
    transport = httpx.ASGITransport(app=create_asgi(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://clinic.test") as client:
        response = await client.get(BOOTSTRAP_CSS, headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
