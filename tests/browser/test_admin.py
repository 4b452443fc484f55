"""The admin page: a new TV board works at once; the dashboard counts the day's work."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage

pytestmark = pytest.mark.browser


def test_a_new_board_gets_a_key_once_and_its_link_opens_the_board(open_page: OpenPage) -> None:
    admin = open_page("/admin", user="admin")
    admin.fill("#display-name", "Hall B")
    admin.select_option("#display-department", label="Paediatrics")
    admin.click("#display-form button[type=submit]")

    expect(admin.locator("#display-key")).to_have_text(re.compile(r"^dk_"))
    admin.click("#display-url")
    expect(admin.locator("#title")).to_have_text("Hall B")
    expect(admin.locator("section.department h1.name")).to_have_text(["Paediatrics"])


def test_the_dashboard_counts_a_patient_seen_and_filters_by_department(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    admin = open_page("/admin", user="admin")
    rows = admin.locator("#dash-rows tr")
    expect(rows).to_have_count(3)  # the demo's three departments, by name
    expect(rows.first).to_contain_text("Cardiology")
    expect(admin.locator("#tile-seen")).to_have_text("0")
    expect(admin.locator("#tile-waiting-label")).to_have_text("Waiting now")
    assert admin.locator("#dash-hours").bounding_box() is not None
    assert admin.locator("#dash-status").bounding_box() is not None

    doctor = api_as("doctor")  # Dr. Okafor, General Medicine: sees one patient
    called = doctor.post("/api/doctors/1/call-next")
    called.raise_for_status()
    for step in ("start", "complete"):
        doctor.post(f"/api/tickets/{called.json()['ticket_id']}/{step}").raise_for_status()
    admin.click("#dash-refresh")

    expect(admin.locator("#tile-seen")).to_have_text("1")
    expect(
        admin.locator("#dash-rows tr", has_text="General Medicine").locator("td").nth(1)
    ).to_have_text("1")
    expect(admin.locator("#dash-doctor-rows")).to_contain_text("Dr. Amara Okafor")
    expect(admin.locator("#dash-hours-text")).to_contain_text(": 1")

    admin.select_option("#dash-department", label="Paediatrics")
    expect(rows).to_have_count(1)
    expect(admin.locator("#tile-seen")).to_have_text("0")


def test_the_dashboard_fits_a_phone(open_page: OpenPage) -> None:
    admin = open_page("/admin", user="admin", width=390, height=844)
    expect(admin.locator("#tile-seen")).to_have_text("0")
    width = admin.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"


def test_a_new_user_can_log_in(open_page: OpenPage) -> None:
    admin = open_page("/admin", user="admin")
    admin.fill("#user-username", "nurse.jo")
    admin.select_option("#user-role", "nurse")
    admin.fill("#user-fullname", "Jo Nurse")
    admin.fill("#user-password", "long-enough-password")
    admin.click("#user-form button[type=submit]")
    expect(admin.locator("#toasts")).to_contain_text("User nurse.jo (nurse) created")


def test_the_dashboard_shows_utilisation_and_exports_a_range_as_csv(open_page: OpenPage) -> None:
    admin = open_page("/admin", user="admin")
    # A percentage as the page's language writes one: "42%" (English, Portuguese), "42 %" (Spanish).
    expect(admin.locator("#tile-use")).to_have_text(re.compile(r"^\d+\s?%$"))
    expect(admin.locator("#tile-overtime")).to_have_text(re.compile(r"min$"))
    today = admin.input_value("#dash-day")
    admin.fill("#dash-to", today)
    admin.locator("#dash-to").dispatch_event("change")
    expect(admin.locator("#dash-csv")).to_have_attribute(
        "href", re.compile(rf"from={today}&to={today}|to={today}&from={today}")
    )
    with admin.expect_download() as download:
        admin.click("#dash-csv")
    text = Path(download.value.path()).read_text()
    assert text.startswith("scope,id,name,department,tickets,seen")
    assert text.splitlines()[1].startswith("total,")
