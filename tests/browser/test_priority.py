"""Priority categories end to end: the admin defines one, the desk checks a patient in with
it, the desk shows it, the board shows only a neutral marker, the dashboard counts the wait."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import BOARD_KEY
from tests.browser.test_desk import show_department
from tests.browser.test_desk_day import booked_today

pytestmark = pytest.mark.browser
Api = Callable[[str], httpx.Client]
NAME = "Pregnancy"


def test_a_category_chosen_at_check_in_is_shown_to_staff_and_never_on_the_board(
    open_page: OpenPage, api_as: Api
) -> None:
    admin = open_page("/admin", user="admin")
    expect(admin.locator("#priority-empty")).to_be_visible()
    admin.fill("#priority-name", NAME)
    admin.fill("#priority-weight", "3")
    admin.fill("#priority-max-wait", "30")
    admin.locator("#priority-form").get_by_role("button", name="Add").click()
    expect(admin.locator("#priority-rows tr")).to_have_count(1)
    expect(admin.locator("#priority-rows input").first).to_have_value(NAME)

    board = open_page(f"/board?key={BOARD_KEY}")
    booking = booked_today(api_as("staff"), 2)
    desk = open_page("/desk", user="staff")
    show_department(desk)
    row = desk.locator(f'#arrival-rows tr[data-token="{booking["token"]}"]')
    row.locator("select.priority-picker").select_option(label=NAME)
    row.get_by_role("button", name="Check in").click()

    waiting = desk.locator(f'#desk-rows tr[data-token="{booking["token"]}"]')
    expect(waiting.locator(".priority-category")).to_have_text(NAME)
    # First in their doctor's line: nobody waiting had been passed yet.
    ticket = api_as("staff").get(f"/api/tickets/{booking['ticket_id']}").json()["ticket"]
    assert ticket["ahead"] == 0
    expect(board.locator(".next li.priority", has_text=str(booking["token"]))).to_have_count(1)
    assert NAME not in board.content()

    admin.click("#dash-refresh")
    expect(admin.locator("#priority-wait-rows")).to_contain_text(NAME)
