"""A booked patient's phone page shows the appointment; the booking page folds its slot grid."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import GENERAL

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_a_booked_patients_phone_shows_time_doctor_room_and_when_to_check_in(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    patient = api_as("patient")
    doctors = patient.get("/api/doctors").json()["doctors"]
    meyer = next(d for d in doctors if d["name"] == "Dr. Lucas Meyer")
    slot = patient.get(f"/api/slots?doctor_id={meyer['id']}").json()["slots"][3]
    booked = patient.post("/api/appointments", json={"slot_id": slot["id"]})
    assert booked.status_code == 201, booked.text
    ticket = booked.json()
    starts = datetime.fromisoformat(ticket["scheduled_at"])
    link = httpx.URL(ticket["live_link"])

    phone = open_page(link.raw_path.decode(), **PHONE)

    expect(phone.locator("#token")).to_have_text(ticket["token"])
    expect(phone.locator("#headline")).to_contain_text("Booked")
    expect(phone.locator("#visit-time")).to_have_text(starts.strftime("%H:%M"))
    expect(phone.locator("#visit-doctor")).to_have_text("Dr. Lucas Meyer")
    expect(phone.locator("#visit-room")).to_have_text(meyer["room"])
    hint = (starts - timedelta(minutes=30)).strftime("%H:%M")
    expect(phone.locator("#visit-hint")).to_have_text(f"Check in at the desk from {hint}")
    expect(phone.locator("#visit-hint")).to_be_in_viewport()

    # Checked in, the hint goes; the appointment stays.
    staff = api_as("staff")
    assert staff.post(f"/api/tickets/{ticket['ticket_id']}/check-in").status_code == 200
    expect(phone.locator("#headline")).to_contain_text("in the queue")
    expect(phone.locator("#visit-hint")).to_be_hidden()
    expect(phone.locator("#visit-doctor")).to_have_text("Dr. Lucas Meyer")


def test_after_booking_on_a_phone_the_confirmation_is_in_view_not_below_the_slots(
    open_page: OpenPage,
) -> None:
    book = open_page("/book", user="patient", **PHONE)
    book.select_option("#book-department", label=GENERAL)
    expect(book.locator("#slots")).to_have_attribute("aria-busy", "false")
    slots = book.locator("#slots [data-slot-id]")
    assert slots.count() > 12  # a day's grid: far taller than a phone's screen
    slots.nth(slots.count() - 1).click()
    book.click("#book-submit")

    expect(book.locator("#booked-token")).to_have_text(re.compile(r"^G-\d{3}$"))
    expect(book.locator("#booked")).to_be_in_viewport()
    expect(book.locator("#booked-link")).to_be_in_viewport()
    expect(book.locator("#slots")).to_be_hidden()

    book.click("#book-again")
    expect(book.locator("#slots [data-slot-id]").first).to_be_visible()
    expect(book.locator("#booked")).to_be_hidden()
