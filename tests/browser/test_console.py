"""The doctor console: a whole consultation from the keyboard, live."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage

pytestmark = pytest.mark.browser


def test_a_consultation_runs_from_the_keyboard(open_page: OpenPage) -> None:
    console = open_page("/console", user="doctor")
    first = console.locator("#queue-rows tr").first
    expect(first).to_be_visible()
    token = first.get_attribute("data-token")

    console.keyboard.press("n")
    expect(console.locator("#current-token")).to_have_text(token or "")
    expect(console.locator("#current-status")).to_have_text("Called")
    expect(console.locator(f'#queue-rows tr[data-token="{token}"]')).to_have_count(0)

    console.keyboard.press("s")
    expect(console.locator("#current-status")).to_have_text("In consultation")
    console.fill("#note-text", "Mild fever; fluids and rest.")
    console.click("#note-form button[type=submit]")
    expect(console.locator("#notes")).to_contain_text("Mild fever; fluids and rest.")

    console.keyboard.press("c")
    expect(console.locator("#current-empty")).to_be_visible()
    expect(console.locator("#toasts")).to_contain_text(f"{token}: consultation completed")


def test_a_refused_step_shows_the_servers_message(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    console = open_page("/console", user="doctor")
    expect(console.locator("#queue-rows tr").first).to_be_visible()
    console.click("#call-next")
    expect(console.locator("#current-status")).to_have_text("Called")
    # Someone else (the admin, at another screen) starts the consultation meanwhile.
    ticket_id = console.locator("#current").get_attribute("data-ticket-id")
    api_as("admin").post(f"/api/tickets/{ticket_id}/start").raise_for_status()
    expect(console.locator("#current-status")).to_have_text("In consultation")
    # A stale tab then tries to call again: the API's message reaches the doctor.
    console.evaluate("document.getElementById('do-recall').disabled = false")
    console.click("#do-recall")
    expect(console.locator("#toasts .text-bg-danger")).to_contain_text(re.compile("cannot recall"))


def test_a_called_patient_who_does_not_come_is_marked_no_show(open_page: OpenPage) -> None:
    console = open_page("/console", user="doctor")
    expect(console.locator("#queue-rows tr").first).to_be_visible()
    console.keyboard.press("n")
    expect(console.locator("#current-status")).to_have_text("Called")
    token = console.locator("#current-token").inner_text()

    console.keyboard.press("x")

    expect(console.locator("#toasts")).to_contain_text(f"{token}: marked as no-show")
    expect(console.locator("#current-empty")).to_be_visible()
    expect(console.locator("#call-next")).to_be_enabled()


def test_a_patient_is_transferred_to_a_colleague(open_page: OpenPage) -> None:
    console = open_page("/console", user="doctor")
    desk = open_page("/desk", user="staff")
    desk.select_option("#queue-department", label="General Medicine")
    expect(console.locator("#queue-rows tr").first).to_be_visible()
    console.keyboard.press("n")
    expect(console.locator("#current-status")).to_have_text("Called")
    token = console.locator("#current-token").inner_text()

    console.keyboard.press("t")
    console.select_option("#transfer-to", label="Dr. Lucas Meyer (Room 2)")
    console.fill("#transfer-reason", "needs a second opinion")
    console.click("#transfer-form button[type=submit]")

    expect(console.locator("#current-empty")).to_be_visible()
    expect(console.locator("#toasts")).to_contain_text(f"{token} transferred")
    expect(desk.locator(f'#desk-rows tr[data-token="{token}"]')).to_contain_text("Dr. Lucas Meyer")


def test_the_doctor_opens_and_closes_their_desk_and_the_queue_follows_the_plan(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    console = open_page("/console", user="doctor")
    expect(console.locator("#queue-rows tr").first).to_be_visible()
    expect(console.locator("#desk-state")).to_have_attribute("data-open", "false")

    console.click("#desk-toggle")
    expect(console.locator("#desk-state")).to_have_text("Desk open")
    expect(console.locator("#desk-toggle")).to_have_text("Close my desk")

    # The rows are the doctor's line as the server plans it: "call next" takes the first.
    doctor = api_as("doctor")
    doctor_id = doctor.get("/api/auth/me").json()["doctor_id"]
    listed = doctor.get("/api/doctors").json()["doctors"]
    department = next(d for d in listed if d["id"] == doctor_id)["department_id"]
    queue = doctor.get(f"/api/departments/{department}/queue").json()
    [me] = [d for d in queue["doctors"] if d["id"] == doctor_id]
    tokens = {t["ticket_id"]: t["token"] for t in queue["tickets"]}
    rows = console.locator("#queue-rows tr")
    expect(rows).to_have_count(len(me["line"]))
    assert [rows.nth(k).get_attribute("data-token") for k in range(len(me["line"]))] == [
        tokens[t] for t in me["line"]
    ]

    console.click("#desk-toggle")
    expect(console.locator("#desk-state")).to_contain_text("Desk closed")
