"""Screenshot every screen of a busy demo clinic into docs/screenshots/ (headless chromium).

Run from the repository root: `.venv/bin/python bench/screenshots.py`. It starts its own server
on a temporary demo database, plays a few minutes of a clinic morning through the API, takes
the pictures and stops everything; it prints one JSON object naming the files it wrote.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a script, not a package: reach the test helpers it shares

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORDS  # noqa: E402
from tests.browser.screens import BOARD_KEY  # noqa: E402
from tests.browser.server import ServerProcess  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
SETTLE_MS = 1200  # let sockets deliver and fonts settle before the picture


def client(server: ServerProcess, user: str) -> httpx.Client:
    """Return an API client logged in as a demo user."""
    http = httpx.Client(base_url=server.url, timeout=10)
    answer = http.post("/api/auth/login", json={"username": user, "password": PASSWORDS[user]})
    answer.raise_for_status()
    http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return http


def post(http: httpx.Client, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST and return the JSON answer, failing loudly."""
    answer = http.post(path, json=body) if body is not None else http.post(path)
    answer.raise_for_status()
    return dict(answer.json())


def morning(server: ServerProcess) -> dict[str, Any]:
    """Play a clinic morning: consultations, calls, an emergency, vitals, notes, a walk-in."""
    admin, nurse, staff = client(server, "admin"), client(server, "nurse"), client(server, "staff")
    for doctor_id in (1, 2, 3, 5):  # a few patients already seen
        done = post(admin, f"/api/doctors/{doctor_id}/call-next")
        post(admin, f"/api/tickets/{done['ticket_id']}/start")
        post(admin, f"/api/appointments/{done['appointment_id']}/notes", {"text": "Seen earlier."})
        post(admin, f"/api/tickets/{done['ticket_id']}/complete")
    current = post(admin, "/api/doctors/1/call-next")
    post(
        admin,
        f"/api/appointments/{current['appointment_id']}/notes",
        {"text": "Hypertension follow-up: continue amlodipine 5 mg, recheck in 3 months."},
    )
    post(
        nurse,
        f"/api/appointments/{current['appointment_id']}/vitals",
        {
            "temperature_c": 36.9,
            "pulse_bpm": 78,
            "systolic_mmhg": 138,
            "diastolic_mmhg": 86,
            "spo2_pct": 98,
            "weight_kg": 81.5,
        },
    )
    post(admin, f"/api/tickets/{current['ticket_id']}/start")
    for doctor_id in (2, 3, 6):
        post(admin, f"/api/doctors/{doctor_id}/call-next")
    newcomer = post(
        staff,
        "/api/patients",
        {"full_name": "Maria Santos", "date_of_birth": "1958-07-21", "sex": "F"},
    )
    post(nurse, "/api/emergencies", {"department_id": 1, "patient_id": newcomer["id"]})
    walker = post(
        staff,
        "/api/patients",
        {"full_name": "Omar Haddad", "date_of_birth": "1991-11-02", "sex": "M"},
    )
    return post(staff, "/api/walk-ins", {"patient_id": walker["id"], "department_id": 1})


def page_for(
    browser: Browser, server: ServerProcess, user: str | None, size: dict[str, int], path: str
) -> Page:
    """Open `path` in a fresh context, through the login form when `user` is given."""
    context = browser.new_context(viewport=size, device_scale_factor=1)  # type: ignore[arg-type]
    page = context.new_page()
    if user is None:
        page.goto(server.url + path)
        return page
    page.goto(f"{server.url}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("#login-submit")
    page.wait_for_url(server.url + path)
    return page


def shoot(page: Page, name: str, written: list[str]) -> None:
    """Save the page as docs/screenshots/<name>.png."""
    page.wait_for_timeout(SETTLE_MS)
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    written.append(str(path.relative_to(ROOT)))


def visits(browser: Browser, server: ServerProcess, written: list[str]) -> None:
    """Picture the demo patient's visits: today's, one cancelled, a child on the account."""
    patient = client(server, "patient")
    post(patient, "/api/me/dependants", {"full_name": "Leo Okoye", "date_of_birth": "2019-05-04"})
    day = time.strftime("%Y-%m-%d", time.gmtime())
    for department_id in (1, 2, 3):  # one where the patient holds no ticket today
        query = {"department_id": department_id, "date": day}
        free = patient.get("/api/slots", params=query).json()["slots"]
        booked = patient.post("/api/appointments", json={"slot_id": free[-1]["id"]})
        if booked.status_code == 201:
            cancel = f"/api/appointments/{booked.json()['appointment_id']}/cancel"
            post(patient, cancel, {"reason": "other plans"})
            break
    page = page_for(browser, server, "patient", DESKTOP, "/my/visits")
    page.wait_for_selector("#past [data-appointment-id]")
    shoot(page, "visits", written)


def screens(browser: Browser, server: ServerProcess, walk_in: dict[str, Any]) -> list[str]:
    """Take one picture per screen."""
    written: list[str] = []
    board = page_for(browser, server, None, DESKTOP, f"/board?key={BOARD_KEY}&speech=0")
    board.wait_for_selector("section.department .calls .call")
    shoot(board, "board", written)

    console = page_for(browser, server, "doctor", DESKTOP, "/console")
    console.wait_for_selector("#current[data-status=in_consultation]")
    console.wait_for_selector("#vitals .vital")
    shoot(console, "console", written)

    desk = page_for(browser, server, "nurse", DESKTOP, "/desk")
    desk.select_option("#queue-department", label="General Medicine")
    desk.fill("#search-q", "Omar Haddad")
    desk.click("#search-form button[type=submit]")
    desk.locator("#search-results [data-patient-id]").first.click()
    desk.wait_for_selector("#patient-today li")
    desk.wait_for_selector("#arrival-rows tr")  # the day's expected arrivals
    shoot(desk, "desk", written)

    phone = page_for(browser, server, None, PHONE, httpx.URL(walk_in["live_link"]).path)
    # "N ahead of you" or "You are next": the plan may put a walk-in for any doctor first.
    phone.wait_for_selector("#detail:has-text('ahead'), #detail:has-text('next')")
    shoot(phone, "patient", written)

    book = page_for(browser, server, "patient", DESKTOP, "/book")
    book.select_option("#book-department", label="Paediatrics")
    book.wait_for_selector("#slots[aria-busy=false] [data-slot-id]")
    book.locator("#slots [data-slot-id]").nth(2).click()
    book.fill("#book-reason", "Vaccination")
    shoot(book, "booking", written)

    admin = page_for(browser, server, "admin", DESKTOP, "/admin")
    admin.wait_for_selector("#dash-rows tr")
    admin.select_option("#sessions-department", label="General Medicine")
    admin.wait_for_selector("#session-rows tr:has-text('Dr. Lucas Meyer')")
    shoot(admin, "admin", written)

    visits(browser, server, written)

    console_phone = page_for(browser, server, "doctor", PHONE, "/console")
    console_phone.wait_for_selector("#current[data-status=in_consultation]")
    shoot(console_phone, "console-phone", written)
    return written + portuguese(browser, server, walk_in)


def portuguese(browser: Browser, server: ServerProcess, walk_in: dict[str, Any]) -> list[str]:
    """Take the board, console, desk and phone page in Portuguese (Brazil), through `lang`."""
    written: list[str] = []
    board = page_for(browser, server, None, DESKTOP, f"/board?key={BOARD_KEY}&speech=0&lang=pt-BR")
    board.wait_for_selector("section.department .calls .call")
    shoot(board, "board-pt", written)

    console = page_for(browser, server, "doctor", DESKTOP, "/console?lang=pt-BR")
    console.wait_for_selector("#current[data-status=in_consultation]")
    console.wait_for_selector("#vitals .vital")
    shoot(console, "console-pt", written)

    desk = page_for(browser, server, "nurse", DESKTOP, "/desk?lang=pt-BR")
    desk.select_option("#queue-department", label="General Medicine")
    desk.fill("#search-q", "Omar Haddad")
    desk.click("#search-form button[type=submit]")
    desk.locator("#search-results [data-patient-id]").first.click()
    desk.wait_for_selector("#patient-today li")
    desk.wait_for_selector("#arrival-rows tr")
    shoot(desk, "desk-pt", written)

    link = httpx.URL(walk_in["live_link"]).path
    phone = page_for(browser, server, None, PHONE, f"{link}?lang=pt-BR")
    phone.wait_for_selector("#detail:has-text('frente'), #detail:has-text('próximo')")
    shoot(phone, "patient-pt", written)
    return written


KIOSK = {"width": 1080, "height": 1400}
SLIP = {"width": 420, "height": 1000}


def self_service(browser: Browser, server: ServerProcess, written: list[str]) -> None:
    """Photograph the kiosk after a walk-in ticket, and the printed slip it made."""
    admin, staff = client(server, "admin"), client(server, "staff")
    key = post(admin, "/api/admin/displays", {"name": "Entrance kiosk", "kind": "kiosk"})["key"]
    post(
        staff,
        "/api/patients",
        {
            "full_name": "Rosa Lima",
            "date_of_birth": "1984-05-09",
            "sex": "F",
            "phone": "+15550104242",
        },
    )
    kiosk = page_for(browser, server, None, KIOSK, f"/kiosk?key={key}")
    kiosk.context.add_init_script("window.print = () => {};")  # no printer here
    kiosk.reload()
    kiosk.wait_for_selector("body[data-ready=true]")
    kiosk.click("#choose-walkin")
    kiosk.get_by_role("button", name="General Medicine").click()
    kiosk.click("#by-phone")
    kiosk.fill("#phone", "555 010 4242")
    kiosk.fill("#dob-day", "09")
    kiosk.fill("#dob-month", "05")
    kiosk.fill("#dob-year", "1984")
    kiosk.click("#identify-submit")
    kiosk.wait_for_selector("#step-done:not([hidden])")
    shoot(kiosk, "kiosk", written)
    slip_path = (kiosk.locator("#printer").get_attribute("src") or "").split("?")[0]
    slip = page_for(browser, server, None, SLIP, slip_path)
    slip.wait_for_selector("#slip-qr svg")
    shoot(slip, "ticket", written)


def main() -> None:
    """Start a demo server, play a morning, take the pictures, stop, print what was written.

    `--only kiosk` takes just the self-service pictures (the kiosk and the printed ticket).
    """
    OUT.mkdir(parents=True, exist_ok=True)
    only_kiosk = sys.argv[1:] == ["--only", "kiosk"]
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(Path(folder))
        server.seed()
        server.start()
        try:
            walk_in = morning(server)
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                written = [] if only_kiosk else screens(browser, server, walk_in)
                self_service(browser, server, written)
                browser.close()
        finally:
            server.stop()
    print(json.dumps({"screenshots": written, "seconds": round(time.monotonic() - began, 1)}))


if __name__ == "__main__":
    main()
