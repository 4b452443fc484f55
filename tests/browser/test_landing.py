"""The landing page leads to a TV board that works; an unknown page is a page, not JSON."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import board_department

pytestmark = pytest.mark.browser


def test_the_landing_pages_tv_link_leads_to_a_working_board(open_page: OpenPage) -> None:
    page = open_page("/")
    page.get_by_role("link", name="TV board").click()
    expect(page.locator("h1")).to_have_text("Waiting-room TV boards")
    page.locator("#demo-board a").click()
    expect(board_department(page)).to_be_visible()


def test_an_unknown_page_in_a_browser_says_so_in_html(open_page: OpenPage) -> None:
    page = open_page("/no-such-page")
    expect(page.locator("h1")).to_have_text("Page not found")
    page.get_by_role("link", name="Go to the start page").click()
    expect(page.get_by_role("link", name="Staff and nurse desk")).to_be_visible()
