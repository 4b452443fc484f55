"""The screens blueprint serves its pages to anyone and its assets from web/static only."""

from __future__ import annotations

import pytest
from quart.typing import TestClientProtocol as Client

from server.screens import PAGES


@pytest.mark.parametrize("page", sorted(PAGES))
async def test_each_page_renders_with_its_script_and_vendored_bootstrap(
    client: Client, page: str
) -> None:
    response = await client.get(f"/{page}")
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'src="/static/js/{page}.js"' in html
    assert "/vendor/bootstrap/dist/css/bootstrap.min.css" in html
    assert "cdn" not in html.lower() and "https://" not in html


async def test_assets_are_served_with_their_type(client: Client) -> None:
    script = await client.get("/static/js/api.js")
    style = await client.get("/static/css/screens.css")
    assert script.status_code == 200 and "javascript" in script.content_type
    assert style.status_code == 200 and "css" in style.content_type


@pytest.mark.parametrize(
    "path", ["/static/../server/config.py", "/static/%2e%2e/pyproject.toml", "/static/js/nope.js"]
)
async def test_nothing_outside_web_static_is_served(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
