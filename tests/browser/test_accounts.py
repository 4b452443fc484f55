"""A patient signs up with the code sent to their phone, adds a child, books and moves for them."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import GENERAL
from tests.browser.server import ServerProcess

pytestmark = pytest.mark.browser
PHONE = "+15550003333"


def code_in_outbox(server: ServerProcess, to: str, deadline_s: float = 10.0) -> str:
    """Read the sign-up code the server wrote into its outbox for `to`."""
    deadline = time.monotonic() + deadline_s
    while True:
        with sqlite3.connect(server.database) as db:
            row = db.execute(
                "SELECT body FROM outbox WHERE to_address = ? AND kind = 'signup_code'"
                " ORDER BY id DESC LIMIT 1",
                (to,),
            ).fetchone()
        if row is not None:
            found = re.search(r"\b(\d{6})\b", row[0])
            assert found is not None, row[0]
            return found.group(1)
        assert time.monotonic() < deadline, f"no sign-up code for {to} in the outbox"
        time.sleep(0.1)


def test_sign_up_then_book_for_a_child_and_see_it_in_the_visit_list(
    open_page: OpenPage, server: ServerProcess
) -> None:
    page = open_page("/login", width=1280, height=900)
    page.click("#account-links a[href='/signup']")
    page.fill("#signup-name", "Rosa Pereira")
    page.fill("#signup-born", "1990-04-02")
    page.fill("#signup-phone", PHONE)
    page.fill("#signup-password", "rosa's long password")
    page.click("#signup-submit")
    expect(page.locator("#code-sent")).to_contain_text(PHONE)
    page.fill("#code", code_in_outbox(server, PHONE))
    page.click("#code-submit")

    page.wait_for_url(f"{server.url}/my/visits")
    expect(page.locator("#upcoming")).to_contain_text("No upcoming visits")
    page.fill("#dependant-name", "Leo Pereira")
    page.fill("#dependant-born", "2020-09-12")
    page.click("#dependant-submit")
    expect(page.locator("#acting option:checked")).to_have_text("Leo Pereira")
    expect(page.locator("#visits-title")).to_have_text("Visits of Leo Pereira")

    page.click("#book-link")
    expect(page.locator("#acting option:checked")).to_have_text("Leo Pereira")
    page.select_option("#book-department", label=GENERAL)
    expect(page.locator("#slots")).to_have_attribute("aria-busy", "false")
    page.locator("#slots [data-slot-id]").first.click()
    page.click("#book-submit")
    token = page.locator("#booked-token")
    expect(token).to_have_text(re.compile(r"^G-\d{3}$"))
    value = token.inner_text()
    expect(page.locator("#mine")).to_contain_text(value)

    page.click("#visits-link")
    visit = page.locator(f"#upcoming li:has-text('{value}')")
    expect(visit).to_be_visible()
    visit.get_by_role("button", name="Move").click()
    page.locator("#move-slots [data-slot-id]").first.click()
    expect(page.locator("#toasts")).to_contain_text("Moved to")
    expect(page.locator("#move")).to_be_hidden()
    expect(page.locator("#upcoming li")).to_have_count(1)
    page.select_option("#acting", label="Rosa Pereira (me)")
    expect(page.locator("#upcoming")).to_contain_text("No upcoming visits")
