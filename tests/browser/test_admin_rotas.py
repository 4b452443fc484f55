"""The admin page's weekly rota: a template's four weeks, then a holiday with its booking listed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage

pytestmark = pytest.mark.browser

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def test_a_template_fills_four_weeks_and_a_holiday_cancels_its_booking_once_confirmed(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    # Evenings three days on: the demo's own sessions are today's, in the daytime.
    first = datetime.now(UTC).date() + timedelta(days=3)
    holiday = first + timedelta(weeks=1)
    admin = open_page("/admin", user="admin")
    rota = admin.locator("#rotas")
    expect(rota.locator("#rota-zone")).to_contain_text("4 weeks ahead")

    admin.select_option("#rota-doctor", label="Dr. Amara Okafor")
    admin.select_option("#rota-weekday", label=WEEKDAYS[first.weekday()])
    admin.fill("#rota-start", "18:00")
    admin.fill("#rota-end", "20:00")
    admin.fill("#rota-valid-from", first.isoformat())
    admin.click("#rota-template-form button[type=submit]")
    row = admin.locator("#rota-template-rows tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("18:00\u201320:00")
    expect(row).to_contain_text(WEEKDAYS[first.weekday()])

    admin.click("#rota-generate")
    expect(admin.locator("#rota-status")).to_contain_text("4 session(s) created")

    # A patient books the holiday's evening through the desk.
    staff = api_as("staff")
    new = {
        "full_name": "Rosa Prado",
        "date_of_birth": "1975-05-06",
        "sex": "F",
        "phone": "+15550107788",
    }
    patient_id = staff.post("/api/patients", json=new).json()["id"]
    doctors = staff.get("/api/doctors").json()["doctors"]
    okafor = next(d for d in doctors if d["name"] == "Dr. Amara Okafor")
    at = f"{holiday.isoformat()}T18:30:00+00:00"
    booked = staff.post(
        "/api/appointments",
        json={"patient_id": patient_id, "doctor_id": okafor["id"], "starts_at": at},
    )
    assert booked.status_code == 201, booked.text
    ticket = booked.json()

    admin.fill("#closure-from", holiday.isoformat())
    admin.fill("#closure-to", holiday.isoformat())
    admin.fill("#closure-reason", "Town holiday")
    admin.click("#rota-closure-form button[type=submit]")
    preview = admin.locator("#rota-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("#rota-preview-rows")).to_contain_text("Rosa Prado")
    expect(preview.locator("#rota-preview-rows")).to_contain_text(ticket["token"])
    expect(admin.locator("#rota-confirm")).to_have_text("Confirm and cancel 1 booking(s)")
    # Nothing changed yet: the booking stands until the admin confirms.
    assert staff.get(f"/api/appointments/{ticket['appointment_id']}").json()["status"] == "booked"

    # The admin has the patient offered the nearest free time: the same evening a week on.
    offer = admin.locator("#rota-offer-moves")
    expect(offer).to_be_visible()
    expect(offer).not_to_be_checked()
    admin.check("#rota-offer-moves")
    admin.click("#rota-confirm")
    expect(admin.locator("#toasts")).to_contain_text(
        "Clinic closed: 1 booking(s) cancelled, 1 new time(s) offered"
    )
    expect(preview).to_be_hidden()
    expect(admin.locator("#rota-closures li")).to_have_count(1)
    expect(admin.locator("#rota-closures")).to_contain_text("Town holiday")
    cancelled = staff.get(f"/api/appointments/{ticket['appointment_id']}").json()
    assert cancelled["status"] == "cancelled"
    outbox = api_as("admin").get("/api/admin/outbox").json()
    assert any(m["kind"] == "rota_moved" for m in outbox["messages"])
