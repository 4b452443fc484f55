"""The waitlist in the browser: join a full day on /book, book the freed place from the message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import sleep

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import GENERAL
from tests.browser.server import ServerProcess

pytestmark = pytest.mark.browser
DOCTOR = "Dr. Lucas Meyer"


@pytest.fixture
def server(tmp_path: Path, demo_database: Path) -> Iterator[ServerProcess]:
    """The demo server with no quiet hours: offers are made whatever the hour the suite runs."""
    process = ServerProcess(tmp_path)
    process.env["CLINIC_NOTIFY_QUIET_START"] = "00:00"
    process.env["CLINIC_NOTIFY_QUIET_END"] = "00:00"
    process.copy_database(demo_database)
    process.start()
    yield process
    process.stop()


def offer_links(admin: httpx.Client) -> list[str]:
    """Return the paths of the waitlist offers in the outbox, newest first."""
    rows = admin.get("/api/admin/outbox?limit=50").json()["messages"]
    bodies = [m["body"] for m in rows if m["kind"] == "waitlist_offer"]
    return [re.search(r"https?://[^/\s]+(/w/\S+)", b).group(1) for b in bodies]  # type: ignore[union-attr]


def test_a_patient_joins_a_full_day_and_books_the_place_a_cancellation_frees(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    admin, staff = api_as("admin"), api_as("staff")
    doctor = next(d for d in admin.get("/api/doctors").json()["doctors"] if d["name"] == DOCTOR)
    day = datetime.now(UTC).date() + timedelta(days=3)
    starts = datetime.combine(day, time(10, 0), tzinfo=UTC)
    admin.post(
        "/api/admin/sessions",
        json={
            "doctor_id": doctor["id"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(minutes=15)).isoformat(),
            "capacity_per_slot": 1,
            "overbook_cap": 0,
        },
    ).raise_for_status()
    other = staff.post(
        "/api/patients",
        json={"full_name": "Ada Waits", "date_of_birth": "1970-05-01", "sex": "F"},
    ).json()
    taken = staff.post(
        "/api/appointments",
        json={
            "patient_id": other["id"],
            "doctor_id": doctor["id"],
            "starts_at": starts.isoformat(),
        },
    ).json()

    book = open_page("/book", user="patient", width=390, height=844)
    book.select_option("#book-department", label=GENERAL)
    book.select_option("#book-doctor", label=DOCTOR)
    book.fill("#book-day", day.isoformat())
    expect(book.locator("#slots-empty")).to_be_visible()
    book.click("#waitlist-join-button")
    expect(book.locator("#waitlist-join-note")).to_contain_text("You are on the waitlist")

    staff.post(f"/api/appointments/{taken['appointment_id']}/cancel", json={}).raise_for_status()
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    links: list[str] = []
    while not links and datetime.now(UTC) < deadline:
        links = offer_links(admin)  # the offer job runs after the cancellation commits
        sleep(0.2)
    assert links, "no waitlist offer was written"

    book.goto(book.url.split("/book")[0] + links[0])
    expect(book.locator("#offer-when")).to_contain_text("10:00")
    book.click("#confirm")
    expect(book.locator("#booked")).to_contain_text(re.compile(r"Booked: ticket G-\d{3}"))
    book.click("text=Open your ticket")
    expect(book.locator("#headline")).to_contain_text("Booked")
