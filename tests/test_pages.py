"""The landing page's links, the TV board help, the favicon, and 404s in HTML or JSON."""

from __future__ import annotations

import re

import pytest
from quart.typing import TestClientProtocol as Client

from server.auth.secrets import digest
from server.demo import DEMO_DISPLAY_KEY
from server.models import Display
from server.services import Services
from tests.conftest import T0

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


async def test_an_unknown_page_opened_in_a_browser_is_an_html_page(client: Client) -> None:
    response = await client.get("/no-such-page", headers={"Accept": BROWSER})
    html = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in html and "/no-such-page" in html
    assert 'href="/"' in html


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/no-such-page", "application/json"),
        ("/no-such-page", "*/*"),
        ("/api/no-such-route", BROWSER),
        ("/api/no-such-route", "*/*"),
    ],
)
async def test_the_api_and_its_clients_get_json_404s(
    client: Client, path: str, accept: str
) -> None:
    response = await client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    assert (await response.get_json())["code"] == "NOT_FOUND"


async def test_every_page_names_the_apps_favicon_and_the_app_serves_it(client: Client) -> None:
    for path in ("/", "/desk", "/book", "/tv", "/t/not-a-link"):
        html = await (await client.get(path)).get_data(as_text=True)
        assert 'rel="icon" href="/favicon.ico"' in html, path
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200
    assert (await icon.get_data())[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = await client.get("/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


async def test_the_landing_pages_board_link_explains_display_keys(client: Client) -> None:
    landing = await (await client.get("/")).get_data(as_text=True)
    [target] = re.findall(r'href="(/(?:tv|board)[^"]*)"', landing)
    page = await client.get(target)
    html = await page.get_data(as_text=True)
    assert page.status_code == 200
    assert "display key" in html and "/admin" in html
    assert "demo-board" not in html  # no demo here: no key to show


async def test_a_board_without_a_key_goes_to_the_explanation(client: Client) -> None:
    response = await client.get("/board")
    assert response.status_code == 302
    assert response.headers["Location"] == "/tv"


async def test_the_demo_clinics_help_page_links_its_working_board(
    client: Client, services: Services
) -> None:
    async with services.database() as db, db.begin():
        db.add(Display(name="Waiting room", key_hash=digest(DEMO_DISPLAY_KEY), created_at=T0))
    html = await (await client.get("/tv")).get_data(as_text=True)
    assert f'href="/board?key={DEMO_DISPLAY_KEY}"' in html
