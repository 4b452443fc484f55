"""Online booking: a patient picks a free time and gets a token and a live link."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import GENERAL

pytestmark = pytest.mark.browser


def test_a_patient_books_a_free_time_and_follows_it_live(open_page: OpenPage) -> None:
    book = open_page("/book", user="patient", width=390, height=844)
    book.select_option("#book-department", label=GENERAL)
    book.select_option("#book-doctor", label="Dr. Lucas Meyer")
    expect(book.locator("#slots")).to_have_attribute("aria-busy", "false")
    slot = book.locator("#slots [data-slot-id]").first
    expect(slot).to_contain_text("Dr. Lucas Meyer")
    slot.click()
    expect(slot).to_have_attribute("aria-checked", "true")
    book.fill("#book-reason", "Persistent cough")
    book.click("#book-submit")

    token = book.locator("#booked-token")
    expect(token).to_have_text(re.compile(r"^G-\d{3}$"))
    value = token.inner_text()
    expect(book.locator("#booked-where")).to_have_text(f"{GENERAL} · Dr. Lucas Meyer")
    expect(book.locator("#mine")).to_contain_text(value)

    book.click("#booked-link")
    expect(book.locator("#token")).to_have_text(value)
    expect(book.locator("#headline")).to_contain_text("Booked")


def test_a_time_booked_meanwhile_in_another_tab_is_refused_in_words(
    open_page: OpenPage, api_as: Callable[[str], httpx.Client]
) -> None:
    book = open_page("/book", user="patient")
    book.select_option("#book-department", label=GENERAL)
    book.select_option("#book-doctor", label="Dr. Lucas Meyer")
    expect(book.locator("#slots")).to_have_attribute("aria-busy", "false")
    slot = book.locator("#slots [data-slot-id]").first
    expect(slot).to_contain_text("Dr. Lucas Meyer")
    slot.click()
    expect(slot).to_have_attribute("aria-checked", "true")
    # The same patient books that time from another tab before pressing Book here.
    other_tab = api_as("patient").post(
        "/api/appointments", json={"slot_id": int(slot.get_attribute("data-slot-id") or 0)}
    )
    other_tab.raise_for_status()

    book.click("#book-submit")

    expect(book.locator("#toasts .text-bg-danger")).to_contain_text(
        "the patient already holds this slot"
    )
    expect(book.locator("#booked")).to_be_hidden()
