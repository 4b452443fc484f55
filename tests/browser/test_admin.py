"""The admin page: a new TV board works at once; today's queues are charted."""

from __future__ import annotations

import re

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


def test_todays_queues_are_counted_per_department(open_page: OpenPage) -> None:
    admin = open_page("/admin", user="admin")
    rows = admin.locator("#dash-rows tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Cardiology")
    assert admin.locator("#dash-chart").bounding_box() is not None


def test_a_new_user_can_log_in(open_page: OpenPage) -> None:
    admin = open_page("/admin", user="admin")
    admin.fill("#user-username", "nurse.jo")
    admin.select_option("#user-role", "nurse")
    admin.fill("#user-fullname", "Jo Nurse")
    admin.fill("#user-password", "long-enough-password")
    admin.click("#user-form button[type=submit]")
    expect(admin.locator("#toasts")).to_contain_text("User nurse.jo (nurse) created")
