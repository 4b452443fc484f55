"""A booked patient's phone page shows the appointment; the booking page folds its slot grid."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import GENERAL

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
MEYER = 2  # the demo's second General Medicine doctor


def open_tomorrow(admin: httpx.Client, doctor_id: int = MEYER) -> date:
    """Open a full day's session tomorrow: today's demo day may be nearly over (late runs)."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    hours = {
        "starts_at": datetime.combine(tomorrow, time(8), tzinfo=UTC).isoformat(),
        "ends_at": datetime.combine(tomorrow, time(17), tzinfo=UTC).isoformat(),
    }
    opened = admin.post("/api/admin/sessions", json={"doctor_id": doctor_id, **hours})
    assert opened.status_code == 201, opened.text
    return tomorrow


def test_a_booked_patients_phone_shows_time_doctor_room_and_when_to_check_in(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    # A patient new to the clinic today: the demo patient already holds a live ticket, and a
    # patient holds one live ticket per department and day.
    staff = api_as("staff")
    new = {"full_name": "Ines Duarte", "date_of_birth": "1980-02-03", "sex": "F"}
    patient_id = staff.post("/api/patients", json=new).json()["id"]
    doctors = staff.get("/api/doctors").json()["doctors"]
    meyer = next(d for d in doctors if d["name"] == "Dr. Lucas Meyer")
    # Today's last free slot: checking in needs today, and late in the day it is the one left.
    slot = staff.get(f"/api/slots?doctor_id={meyer['id']}").json()["slots"][-1]
    booked = staff.post("/api/appointments", json={"slot_id": slot["id"], "patient_id": patient_id})
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
    assert staff.post(f"/api/tickets/{ticket['ticket_id']}/check-in").status_code == 200
    expect(phone.locator("#headline")).to_contain_text("in the queue")
    expect(phone.locator("#visit-hint")).to_be_hidden()
    expect(phone.locator("#visit-doctor")).to_have_text("Dr. Lucas Meyer")


def test_after_booking_on_a_phone_the_confirmation_is_in_view_not_below_the_slots(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    day = open_tomorrow(api_as("admin"))
    book = open_page("/book", user="patient", **PHONE)
    book.select_option("#book-department", label=GENERAL)
    book.fill("#book-day", day.isoformat())
    book.dispatch_event("#book-day", "change")
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
