"""Every page, as each role, on a desktop and a phone: no serious or critical axe-core finding;
the TV board reflows to 320 px without sideways scrolling (docs/accessibility.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.axe import audit, blocking
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORDS, TIMEOUT_MS
from tests.browser.screens import BOARD_KEY, board_department
from tests.browser.server import ServerProcess
from tests.browser.test_desk import show_department

pytestmark = pytest.mark.browser
Api = Callable[[str], httpx.Client]
SIZES = {"desktop": (1280, 800), "phone": (375, 740)}
# What each role opens, and what shows that the page has drawn its data. None: anonymous.
PAGES: dict[str | None, list[tuple[str, str]]] = {
    None: [
        ("/", "h1"),
        ("/login", "#login-form"),
        ("/tv", "#tv-title"),
        ("/api/docs", ".swagger-ui .info .title"),
        ("/no-such-page", "h1"),
        (f"/board?key={BOARD_KEY}", "section.department .next li"),
    ],
    "patient": [("/book", "#slots button"), ("/my", "#headline, #problem")],
    "doctor": [("/console", "#current-patient:not([hidden])"), ("/desk", "#gate:not([hidden])")],
    "nurse": [("/desk", "#live-status[data-state=online]")],
    "staff": [("/desk", "#live-status[data-state=online]")],
    "admin": [
        ("/admin", "#dash-rows tr"),
        ("/console?doctor=2", "#live-status[data-state=online]"),
    ],
}


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Yield one headless chromium for all the pages of a test."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def page_as(browser: Browser, server: ServerProcess, user: str | None) -> Page:
    """Open a fresh context's page, logged in as `user` through the login form."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    if user is not None:
        page.goto(f"{server.url}/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORDS[user])
        page.click("#login-submit")
        page.wait_for_url(lambda url: "/login" not in url)
    return page


def prepare(server: ServerProcess, api_as: Api) -> str:
    """Put the day in the states worth auditing; return a patient's ticket page."""
    doctor = api_as("doctor")
    doctor.post("/api/doctors/1/call-next").raise_for_status()  # the console shows a patient
    staff = api_as("staff")
    patient = staff.post(
        "/api/patients", json={"full_name": "Ana Audit", "date_of_birth": "1990-02-03", "sex": "F"}
    ).json()
    ticket = staff.post("/api/walk-ins", json={"patient_id": patient["id"], "department_id": 1})
    ticket.raise_for_status()
    return httpx.URL(ticket.json()["live_link"]).path


def test_no_page_has_a_serious_or_critical_axe_finding(
    browser: Browser, server: ServerProcess, api_as: Api
) -> None:
    pages = {**PAGES, None: [*PAGES[None], (prepare(server, api_as), "#headline")]}
    found: list[str] = []
    audited = 0
    for user, paths in pages.items():
        page = page_as(browser, server, user)
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            for path, ready in paths:
                # Leave a page only once its API calls are answered: a request cut off in its
                # transaction can hold the SQLite database (docs/accessibility.md, "What is left").
                page.wait_for_load_state("networkidle")
                page.goto(server.url + path)
                expect(page.locator(ready).first).to_be_attached()
                if path == "/desk" and user in OPEN:
                    OPEN[user](page)
                found += blocking(audit(page), f"{path} as {user or 'anonymous'} ({size})")
                audited += 1
        page.context.close()
    assert audited == 2 * sum(len(paths) for paths in pages.values())
    assert not found, "\n".join(found)


def open_a_patient(desk: Page) -> None:
    """Show a patient's card on the desk, so that its buttons and today's visits are audited."""
    show_department(desk)
    desk.fill("#search-q", "Ana Audit")
    desk.press("#search-q", "Enter")
    desk.locator("#search-results button").first.click()
    expect(desk.locator("#patient-name")).to_have_text("Ana Audit")


def open_vitals(desk: Page) -> None:
    """Open the vitals dialog, so that a dialog is audited too."""
    show_department(desk)
    desk.locator("#desk-rows button", has_text="Vitals").first.click()
    expect(desk.locator("#vitals-modal")).to_be_focused()  # shown: faded in, focus inside


OPEN = {"staff": open_a_patient, "nurse": open_vitals}


def test_the_board_reflows_at_320_px_and_announces_each_call_once(
    browser: Browser, server: ServerProcess, api_as: Api
) -> None:
    board = page_as(browser, server, None)
    board.set_viewport_size({"width": 320, "height": 640})
    board.goto(f"{server.url}/board?key={BOARD_KEY}")
    expect(board_department(board).locator(".next li").first).to_be_visible()
    called = api_as("doctor").post("/api/doctors/1/call-next")
    called.raise_for_status()
    token = called.json()["token"]
    expect(board.locator("#announcer")).to_contain_text(token)
    expect(board_department(board).locator(".calls .called")).to_contain_text(token)

    # Nothing sticks out on the right: no sideways scrolling, nothing cut off.
    overflow = board.evaluate(
        """() => [document.documentElement.scrollWidth - innerWidth,
            ...Array.from(document.querySelectorAll("#departments *, .bar *"))
              .map((node) => Math.ceil(node.getBoundingClientRect().right - innerWidth))]"""
    )
    assert max(overflow) <= 0, overflow
    # One live region says the calls; the drawn calls, redrawn on every change, say nothing,
    # and a change that is not a call leaves the region as it was (nothing is said again).
    assert board.locator("[aria-live]").count() == 1
    board.locator("#announcer p").evaluate("(line) => { line.dataset.said = 'yes'; }")
    waiting = board_department(board).locator(".waiting")
    before = waiting.inner_text()
    staff = api_as("staff")
    patient = staff.post(
        "/api/patients", json={"full_name": "Ben Board", "date_of_birth": "1980-01-01", "sex": "M"}
    ).json()
    walk_in = staff.post("/api/walk-ins", json={"patient_id": patient["id"], "department_id": 1})
    walk_in.raise_for_status()
    expect(waiting).not_to_have_text(before)
    expect(board.locator("#announcer p[data-said=yes]")).to_have_count(1)
