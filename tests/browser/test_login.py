"""Logging in: each role lands on its screen; mistakes and wrong roles are explained."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage

pytestmark = pytest.mark.browser


def test_a_page_sends_a_stranger_to_login_and_back(open_page: OpenPage) -> None:
    page = open_page("/desk")
    page.wait_for_url("**/login?next=%2Fdesk")
    page.fill("#username", "nurse")
    page.fill("#password", "wrong password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_have_text("wrong username or password")

    page.fill("#password", "demo-nurse-pass")
    page.click("#login-submit")
    page.wait_for_url("**/desk")
    expect(page.locator("#who-name")).to_have_text("Demo nurse · nurse")


def test_a_patient_on_the_console_is_told_it_is_not_for_them(open_page: OpenPage) -> None:
    page = open_page("/console", user="patient")
    expect(page.locator("#gate")).to_be_visible()
    expect(page.locator("#gate-text")).to_contain_text("This page is for: doctor, admin")
    expect(page.locator("#console")).to_be_hidden()
