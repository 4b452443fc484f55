"""The staff and nurse desk: new patients, walk-ins, check-in, vitals and emergencies, live."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import BOARD_KEY, GENERAL, board_department, board_emergencies

pytestmark = pytest.mark.browser
GENERAL_TOKEN = re.compile(r"^G-\d{3}$")


def register_patient(desk: Page, name: str) -> None:
    """Register a new patient through the desk's form; the desk then shows their card."""
    desk.click("text=New patient")
    desk.fill("#np-name", name)
    desk.fill("#np-born", "1984-05-17")
    desk.select_option("#np-sex", "F")
    desk.click("#new-patient button[type=submit]")
    expect(desk.locator("#patient-name")).to_have_text(name)


def show_department(desk: Page, name: str = GENERAL) -> None:
    """Show one department's queues on the desk."""
    desk.select_option("#queue-department", label=name)


def test_an_emergency_from_the_desk_reaches_board_and_console_without_reload(
    open_page: OpenPage,
) -> None:
    board = open_page(f"/board?key={BOARD_KEY}")
    console = open_page("/console", user="doctor")
    desk = open_page("/desk", user="nurse")
    expect(board_department(board)).to_be_visible()
    expect(console.locator("#queue-rows tr").first).to_be_visible()

    register_patient(desk, "Rosa Emergencia")
    desk.select_option("#visit-department", label=GENERAL)
    desk.fill("#visit-reason", "chest pain")
    desk.click("#insert-emergency")

    token = desk.locator("#walk-in-token-value")
    expect(token).to_have_text(GENERAL_TOKEN)
    value = token.inner_text()
    expect(board_emergencies(board)).to_contain_text([value])
    first = console.locator("#queue-rows tr").first
    expect(first).to_have_attribute("data-token", value)
    expect(first).to_contain_text("Rosa Emergencia")
    expect(first).to_contain_text("emergency")


def test_a_walk_in_gets_a_token_and_joins_the_live_queue(open_page: OpenPage) -> None:
    desk = open_page("/desk", user="staff")
    show_department(desk)
    register_patient(desk, "Walter Walkin")
    desk.select_option("#visit-department", label=GENERAL)
    desk.click("#register-walk-in")

    value = desk.locator("#walk-in-token-value")
    expect(value).to_have_text(GENERAL_TOKEN)
    token = value.inner_text()
    row = desk.locator(f'#desk-rows tr[data-token="{token}"]')
    expect(row).to_contain_text("Walter Walkin")
    expect(desk.locator("#patient-today")).to_contain_text(token)


def test_a_booked_patient_found_by_phone_is_checked_in(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    # The demo's second patient (MRN-1001) booked online and has not arrived yet.
    phone = api_as("staff").get("/api/patients/2").json()["phone"]
    desk = open_page("/desk", user="staff")
    show_department(desk)
    desk.fill("#search-q", phone)
    desk.click("#search-form button[type=submit]")
    expect(desk.locator("#search-results [data-patient-id]")).to_contain_text(["MRN-1001"])
    desk.locator("#search-results [data-patient-id]").first.click()
    visit = desk.locator("#patient-today li").first
    expect(visit).to_contain_text("Booked")
    token = visit.locator(".font-monospace").inner_text()
    expect(desk.locator(f'#desk-rows tr[data-token="{token}"]')).to_have_count(0)

    visit.get_by_role("button", name="Check in").click()

    expect(desk.locator("#toasts")).to_contain_text(f"{token} checked in")
    expect(desk.locator("#patient-today li").first).to_contain_text("Waiting")
    expect(desk.locator(f'#desk-rows tr[data-token="{token}"]')).to_have_count(1)


def test_a_nurse_records_vitals_and_sees_implausible_values_refused(open_page: OpenPage) -> None:
    desk = open_page("/desk", user="nurse")
    show_department(desk)
    desk.locator("#desk-rows tr").first.get_by_role("button", name="Vitals").click()
    desk.fill("#v-temp", "55")
    desk.fill("#v-pulse", "72")
    desk.click("#vitals-form button[type=submit]")
    expect(desk.locator("#vitals-error")).to_contain_text("Temperature (°C): 55")

    desk.fill("#v-temp", "37.2")
    desk.click("#vitals-form button[type=submit]")
    expect(desk.locator("#vitals-modal")).to_be_hidden()
    expect(desk.locator("#toasts")).to_contain_text("Vitals saved")
