"""The patient's phone page counts down as the patients ahead are seen, then calls them in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import OpenPage

pytestmark = pytest.mark.browser
GENERAL, OKAFOR, MEYER = 1, 1, 2  # the demo's General Medicine and its two doctors' ids


def see_next_patient(staff: httpx.Client, doctor_id: int) -> None:
    """Let a doctor call, start and complete the head of their queue, if anyone waits for them."""
    called = staff.post(f"/api/doctors/{doctor_id}/call-next")
    if called.status_code == 409 and called.json()["code"] == "QUEUE_EMPTY":
        return  # the planner may have given all the shared patients to the other doctor
    called.raise_for_status()
    ticket_id = called.json()["ticket_id"]
    for step in ("start", "complete"):
        staff.post(f"/api/tickets/{ticket_id}/{step}").raise_for_status()


def walk_in_for_okafor(desk: httpx.Client) -> dict[str, Any]:
    """Register a new patient as a walk-in for Dr. Okafor; return the ticket with its link."""
    patient = desk.post(
        "/api/patients",
        json={"full_name": "Paula Phone", "date_of_birth": "1990-02-03", "sex": "F"},
    ).json()
    answer = desk.post(
        "/api/walk-ins",
        json={"patient_id": patient["id"], "department_id": GENERAL, "doctor_id": OKAFOR},
    )
    answer.raise_for_status()
    return dict(answer.json())


def open_phone(open_page: OpenPage, ticket: dict[str, Any]) -> Page:
    """Open the patient's signed link on a phone-sized screen."""
    phone = open_page(httpx.URL(ticket["live_link"]).path, width=390, height=844)
    expect(phone.locator("#token")).to_have_text(ticket["token"])
    expect(phone.locator("#detail")).to_contain_text("ahead of you")
    return phone


def ahead_now(staff: httpx.Client, ticket_id: int) -> int:
    """Ask the server how many the plan puts ahead of the ticket now."""
    answer = staff.get(f"/api/tickets/{ticket_id}")
    answer.raise_for_status()
    return int(answer.json()["ticket"]["ahead"])


def test_the_patients_position_falls_as_patients_ahead_are_seen(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    admin = api_as("admin")  # works both of the department's doctors
    ticket = walk_in_for_okafor(api_as("staff"))
    phone = open_phone(open_page, ticket)
    ahead = ahead_now(admin, ticket["ticket_id"])
    assert ahead >= 1

    # One doctor's visit at a time, each step settled on the server before the next, so the
    # test never calls the patient on a count the page has not caught up with yet.
    for _ in range(ahead):
        for doctor in (OKAFOR, MEYER):
            see_next_patient(admin, doctor)
            ahead = ahead_now(admin, ticket["ticket_id"])
            expected = f"{ahead} ahead of you" if ahead else "You are next"
            expect(phone.locator("#detail")).to_contain_text(expected)
            if ahead == 0:
                break
        if ahead == 0:
            break
    expect(phone.locator("#detail")).to_contain_text("You are next")

    admin.post(f"/api/doctors/{OKAFOR}/call-next").raise_for_status()
    expect(phone.locator("#headline")).to_have_text("It is your turn")
    expect(phone.locator("#detail")).to_have_text("Go to Room 1 now")
    # Said at once (an alert), not only politely; the status line is the page's heading.
    expect(phone.get_by_role("alert")).to_have_text("It is your turn · Go to Room 1 now")
    expect(phone.get_by_role("heading", level=1)).to_have_text("It is your turn")
    expect(phone.locator("#card")).to_have_attribute("aria-live", "off")
