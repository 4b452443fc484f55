"""After login a user goes back to a path on this site, never to another site."""

from __future__ import annotations

import pytest
from quart.typing import TestClientProtocol as Client

from server.auth.redirects import safe_next

OTHER_SITES = [
    "/\\evil.example/x",
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "\\\\evil.example",
    "/%5Cevil.example/x",
    "/%5cevil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", OTHER_SITES)
def test_another_site_is_never_a_destination(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/desk", "/console?department=2", "/my#ticket", "/"])
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", ["/\\evil.example/x", "/%5Cevil.example/x", "//evil"])
async def test_the_login_page_drops_a_next_that_leaves_the_site(
    client: Client, target: str
) -> None:
    page = await client.get("/login", query_string={"next": target})
    html = await page.get_data(as_text=True)
    assert 'data-next=""' in html and "evil" not in html


async def test_the_login_page_keeps_a_next_on_this_site(client: Client) -> None:
    page = await client.get("/login", query_string={"next": "/desk?x=1"})
    assert 'data-next="/desk?x=1"' in await page.get_data(as_text=True)
