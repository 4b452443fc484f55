"""The TV board follows the doctor's calls, and survives a server restart without a reload."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import BOARD_KEY, board_calls, board_department
from tests.browser.server import ServerProcess

pytestmark = pytest.mark.browser


def test_call_next_on_the_console_shows_the_token_on_the_board(open_page: OpenPage) -> None:
    board = open_page(f"/board?key={BOARD_KEY}")
    expect(board_department(board)).to_be_visible()
    console = open_page("/console", user="doctor")
    expect(console.locator("#queue-rows tr").first).to_be_visible()

    console.click("#call-next")

    expect(console.locator("#current-status")).to_have_text("Called")
    token = console.locator("#current-token").inner_text()
    expect(board_calls(board)).to_contain_text([token])
    expect(board_calls(board).filter(has_text=token)).to_contain_text("Room 1")


def test_the_board_recovers_after_the_server_restarts(
    open_page: OpenPage, server: ServerProcess, api_as: Callable[[str], httpx.Client]
) -> None:
    board = open_page(f"/board?key={BOARD_KEY}")
    expect(board_department(board)).to_be_visible()
    expect(board.locator("#offline")).to_be_hidden()

    server.stop()
    expect(board.locator("#offline")).to_be_visible()
    server.start()
    expect(board.locator("#offline")).to_be_hidden(timeout=20_000)

    # Live again, not just reconnected: a call made now reaches the same page, never reloaded.
    board.evaluate("window.__same_page = true")
    called = api_as("doctor").post("/api/doctors/1/call-next")
    called.raise_for_status()
    expect(board_calls(board)).to_contain_text([called.json()["token"]])
    assert board.evaluate("window.__same_page") is True
