"""The console's and the desk's main flows from the keyboard alone: where focus lands after each
action, and single-key shortcuts a doctor turns off, remaps and finds again after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import OpenPage
from tests.browser.test_desk import show_department

pytestmark = pytest.mark.browser
MAX_TABS = 150


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element `selector` names has focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => Boolean(document.activeElement?.matches(s))", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_consultation_from_the_keyboard_keeps_focus_on_the_next_step(
    open_page: OpenPage,
) -> None:
    console = open_page("/console", user="doctor")
    expect(console.locator("#queue-rows tr").first).to_be_visible()
    status = console.locator("#current-status")

    tab_to(console, "#call-next")
    console.keyboard.press("Enter")
    expect(status).to_have_text("Called")
    expect(console.locator("#do-start")).to_be_focused()
    console.keyboard.press("Enter")
    expect(status).to_have_text("In consultation")
    expect(console.locator("#do-complete")).to_be_focused()
    console.keyboard.press("Enter")
    expect(console.locator("#current-empty")).to_be_visible()
    expect(console.locator("#call-next")).to_be_focused()

    # The shortcut does the same, and focus follows it too.
    console.keyboard.press("n")
    expect(status).to_have_text("Called")
    expect(console.locator("#do-start")).to_be_focused()
    expect(console.locator("#do-start")).to_have_attribute("aria-keyshortcuts", "S")

    # Turned off, a key is just a key: "x" marks nobody as a no-show.
    tab_to(console, "#shortcut-settings summary")
    console.keyboard.press("Enter")
    tab_to(console, "#shortcuts-mode")
    console.keyboard.press("ArrowDown")
    console.keyboard.press("ArrowDown")
    expect(console.locator("#shortcuts-mode")).to_have_value("off")
    expect(console.locator("#shortcut-hint")).to_be_hidden()
    expect(console.locator("#do-start kbd")).to_be_hidden()
    expect(console.locator("#do-start")).not_to_have_attribute("aria-keyshortcuts", "S")
    tab_to(console, "#shortcuts-reset")  # the key fields are off too: Tab passes them
    console.keyboard.press("x")

    # Back on, with Start moved to "j" (a key another action has is refused).
    console.keyboard.press("Shift+Tab")
    expect(console.locator("#shortcuts-mode")).to_be_focused()
    console.keyboard.press("ArrowUp")
    console.keyboard.press("ArrowUp")
    expect(console.locator("#shortcuts-mode")).to_have_value("single")
    tab_to(console, "#key-do-start")
    console.keyboard.press("n")
    expect(console.locator("#shortcut-error")).to_contain_text("N")
    expect(console.locator("#key-do-start")).to_have_value("S")
    console.keyboard.press("j")
    expect(console.locator("#key-do-start")).to_have_value("J")
    expect(console.locator("#shortcut-error")).to_be_empty()
    tab_to(console, "#shortcuts-reset")
    console.keyboard.press("s")  # no longer Start's key: nothing happens
    console.keyboard.press("j")
    expect(status).to_have_text("In consultation")
    expect(console.locator("#do-complete")).to_be_focused()
    expect(console.locator("#toasts")).not_to_contain_text("no-show")

    # Kept for this doctor in this browser.
    console.reload()
    expect(console.locator("#do-start kbd")).to_have_text("J")
    expect(console.locator("#shortcut-hint")).to_contain_text("J")
    expect(console.locator("#do-complete")).to_be_enabled()
    console.keyboard.press("c")
    expect(console.locator("#current-empty")).to_be_visible()


def test_the_desk_from_the_keyboard_keeps_focus_where_the_work_goes_on(
    open_page: OpenPage,
) -> None:
    desk = open_page("/desk", user="staff")
    show_department(desk)
    arrivals = desk.locator("#arrival-rows tr")
    expect(arrivals.nth(1)).to_be_attached()
    first, second = (arrivals.nth(i).get_attribute("data-ticket-id") for i in (0, 1))

    # Checking in the first expected arrival: focus goes to the next one's button.
    tab_to(desk, f'#arrival-rows tr[data-ticket-id="{first}"] button')
    desk.keyboard.press("Enter")
    expect(desk.locator(f'#arrival-rows tr[data-ticket-id="{first}"]')).to_have_count(0)
    expect(desk.locator(f'#arrival-rows tr[data-ticket-id="{second}"] button')).to_be_focused()

    # Finding a patient booked for today: focus goes to their card, then checking them in
    # leaves it on their visit, now waiting.
    record = desk.locator(f'#arrival-rows tr[data-ticket-id="{second}"] td').nth(2)
    record_number = record.locator("div").inner_text()
    tab_to(desk, "#search-q")
    desk.keyboard.type(record_number)
    desk.keyboard.press("Enter")
    tab_to(desk, "#search-results button")
    desk.keyboard.press("Enter")
    expect(desk.locator("#patient-name")).to_be_focused()
    line = desk.locator(f'#patient-today li[data-ticket-id="{second}"]')
    tab_to(desk, f'#patient-today li[data-ticket-id="{second}"] button[data-action=check-in]')
    desk.keyboard.press("Enter")
    expect(line).to_contain_text("Waiting")
    expect(line).to_be_focused()

    # A walk-in to another department (typing its first letter in the list): the button keeps
    # focus and the token is shown.
    tab_to(desk, "#visit-department")
    desk.keyboard.press("c")
    expect(desk.locator("#visit-department option:checked")).to_have_text("Cardiology")
    tab_to(desk, "#register-walk-in")
    desk.keyboard.press("Enter")
    expect(desk.locator("#walk-in-token")).to_be_visible()
    expect(desk.locator("#register-walk-in")).to_be_focused()

    # Each emergency button says whose it is.
    emergency = desk.locator("#desk-rows button", has_text="Emergency")
    expect(emergency.first).to_be_visible()
    names = [b.get_attribute("aria-label") for b in emergency.all()]
    assert len(set(names)) == len(names) > 1
    assert all(name and name.startswith("Emergency") for name in names)
