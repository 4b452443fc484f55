"""The set-up screen: a new department and room, a doctor edited, a user and a board cut off."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage

pytestmark = pytest.mark.browser


def test_the_set_up_screen_edits_the_clinic_and_ends_access_at_once(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    board = open_page("/board?key=dk_demo-waiting-room-board")
    expect(board.locator("#departments section.department").first).to_be_visible()
    nurse = api_as("nurse")
    assert nurse.get("/api/auth/me").status_code == 200
    admin = open_page("/admin", user="admin")

    # A department with a room, then a second room from its edit form.
    admin.fill("#setup-new-department-name", "Dermatology")
    admin.fill("#setup-new-department-code", "DERM")
    admin.fill("#setup-new-department-prefix", "DM")
    admin.fill("#setup-new-department-rooms", "Room D1")
    admin.click("#setup-department-new button[type=submit]")
    department = admin.locator("#setup-department-rows tr", has_text="Dermatology")
    expect(department).to_contain_text("Room D1")
    department.get_by_role("button", name="Edit").click()
    admin.fill("#setup-room-new", "Room D2")
    admin.click("#setup-room-add")
    expect(department).to_contain_text("Room D2")
    expect(admin.locator("#setup-room-rows li")).to_have_count(2)

    # A doctor's specialty.
    admin.click("#setup-tab-doctors")
    doctor = admin.locator("#setup-doctor-rows tr", has_text="Dr. Amara Okafor")
    doctor.get_by_role("button", name="Edit").click()
    admin.fill("#setup-doctor-specialty", "Family medicine")
    admin.click("#setup-doctor-form button[type=submit]")
    expect(doctor).to_contain_text("Family medicine")

    # The nurse is deactivated (the button asks once more): their login ends at once.
    admin.click("#setup-tab-users")
    user = admin.locator("#setup-user-rows tr").filter(
        has=admin.locator("th", has_text=re.compile(r"^nurse$"))
    )
    user.get_by_role("button", name="Deactivate").click()
    user.get_by_role("button", name="Deactivate nurse?").click()
    expect(user.locator(".setup-status")).to_have_text("Deactivated")
    assert nurse.get("/api/auth/me").status_code == 401

    # The waiting room's board key is revoked: the board on the wall says so at once.
    admin.click("#setup-tab-displays")
    display = admin.locator("#setup-display-rows tr", has_text="Waiting room")
    display.get_by_role("button", name="Revoke", exact=True).click()
    display.get_by_role("button", name=re.compile(r"^Revoke .*key\?$")).click()
    expect(display.locator(".setup-status")).to_have_text("Revoked")
    expect(board.locator("#refused")).to_be_visible()
    expect(board.locator("#refused-text")).to_contain_text("not known")
