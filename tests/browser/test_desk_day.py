"""The desk runs the day: expected arrivals, requeue, phone bookings, moving and cancelling
visits, vitals taken, doctors running late or leaving early, and a desk that fits a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import GENERAL
from tests.browser.test_desk import register_patient, show_department

pytestmark = pytest.mark.browser
Api = Callable[[str], httpx.Client]
TIME = re.compile(r"^\d\d:\d\d")


def general_id(client: httpx.Client) -> int:
    departments = client.get("/api/departments").json()["departments"]
    return next(d["id"] for d in departments if d["name"] == GENERAL)


def clock_time(shown: str) -> time:
    """Read a time as the page shows it, in the browser's 24-hour or 12-hour (AM/PM) form."""
    for form in ("%H:%M", "%I:%M %p"):
        try:
            return datetime.strptime(shown.strip(), form).time()
        except ValueError:
            continue
    raise ValueError(f"not a time: {shown!r}")


def booked_today(client: httpx.Client, patient_id: int) -> dict[str, object]:
    """Return the patient's booking of today that has not been checked in."""
    visits = client.get(f"/api/patients/{patient_id}").json()["appointments"]
    return next(v for v in visits if v["status"] == "booked")


def test_another_departments_arrivals_never_show_while_the_chosen_one_loads(
    open_page: OpenPage,
) -> None:
    desk = open_page("/desk", user="staff")
    show_department(desk)
    arrivals = desk.locator("#arrival-rows tr")
    expect(arrivals.first).to_be_attached()

    # Cardiology's day does not come: the desk must not go on listing General Medicine's.
    desk.route("**/api/departments/*/day", lambda route: route.abort())
    show_department(desk, "Cardiology")
    expect(arrivals).to_have_count(0)
    expect(desk.locator("#arrivals-empty")).to_be_hidden()


def test_expected_arrivals_are_listed_by_time_and_checked_in_with_one_click(
    open_page: OpenPage, api_as: Api
) -> None:
    # The demo's second patient booked online (General Medicine) and has not arrived yet.
    booking = booked_today(api_as("staff"), 2)
    desk = open_page("/desk", user="staff")
    show_department(desk)
    arrivals = desk.locator("#arrival-rows tr")
    row = desk.locator(f'#arrival-rows tr[data-token="{booking["token"]}"]')
    expect(row).to_contain_text("MRN-1001")
    times = [t.split("\n")[0] for t in arrivals.locator("td:first-child").all_inner_texts()]
    # In time order, not text order: "12:30 AM" comes before "01:00 AM".
    assert all(TIME.match(t) for t in times)
    assert [clock_time(t) for t in times] == sorted(clock_time(t) for t in times)

    row.get_by_role("button", name="Check in").click()

    expect(desk.locator("#toasts")).to_contain_text(f"{booking['token']} checked in")
    expect(row).to_have_count(0)
    expect(desk.locator(f'#desk-rows tr[data-token="{booking["token"]}"]')).to_have_count(1)


def test_a_skipped_patient_who_comes_back_is_requeued_from_the_desk(
    open_page: OpenPage, api_as: Api
) -> None:
    doctor = api_as("doctor")
    doctor_id = doctor.get("/api/auth/me").json()["doctor_id"]
    called = doctor.post(f"/api/doctors/{doctor_id}/call-next")
    assert called.status_code == 200, called.text
    ticket = called.json()
    assert doctor.post(f"/api/tickets/{ticket['ticket_id']}/skip", json={}).status_code == 200
    desk = open_page("/desk", user="nurse")
    show_department(desk)
    row = desk.locator(f'#returning-rows tr[data-token="{ticket["token"]}"]')
    expect(row).to_contain_text("Skipped")
    expect(desk.locator(f'#desk-rows tr[data-token="{ticket["token"]}"]')).to_have_count(0)

    row.get_by_role("button", name="Requeue").click()

    expect(desk.locator(f'#desk-rows tr[data-token="{ticket["token"]}"]')).to_have_count(1)
    expect(desk.locator("#returning-card")).to_be_hidden()


def test_a_phone_booking_with_a_chosen_time_then_moved_then_cancelled(
    open_page: OpenPage,
) -> None:
    desk = open_page("/desk", user="staff")
    show_department(desk)
    register_patient(desk, "Paula Phonebooking")
    desk.click("#book-for-patient")
    desk.select_option("#booking-department", label=GENERAL)
    options = desk.locator("#booking-slot option")
    expect(options.first).to_have_text(TIME)
    assert options.count() >= 3
    chosen = options.nth(2).inner_text()
    desk.select_option("#booking-slot", index=2)
    desk.fill("#booking-reason", "asked by phone")
    desk.click("#booking-submit")

    expect(desk.locator("#booking-modal")).to_be_hidden()
    expect(desk.locator("#toasts")).to_contain_text(f"at {chosen[:5]}")
    visit = desk.locator("#patient-today li").first
    expect(visit).to_contain_text("Booked")
    expect(visit).to_contain_text(chosen[:5])
    token = visit.locator(".font-monospace").inner_text()
    expect(desk.locator(f'#arrival-rows tr[data-token="{token}"]')).to_contain_text(
        "Paula Phonebooking"
    )

    visit.get_by_role("button", name="Reschedule").click()
    expect(options.first).to_have_text(TIME)
    later = options.nth(4).inner_text()
    desk.select_option("#booking-slot", index=4)
    desk.click("#booking-submit")
    expect(desk.locator("#toasts")).to_contain_text(f"{token} moved to {later[:5]}")
    expect(visit).to_contain_text(later[:5])

    visit.get_by_role("button", name="Cancel").click()
    visit.get_by_role("button", name="Cancel visit?").click()
    expect(visit).to_contain_text("Cancelled")
    expect(desk.locator(f'#arrival-rows tr[data-token="{token}"]')).to_have_count(0)


def test_a_waiting_patient_whose_vitals_were_taken_is_marked(open_page: OpenPage) -> None:
    desk = open_page("/desk", user="nurse")
    show_department(desk)
    first = desk.locator("#desk-rows tr").first
    expect(first).to_be_visible()
    token = first.get_attribute("data-token")
    row = desk.locator(f'#desk-rows tr[data-token="{token}"]')
    expect(row.locator(".vitals-taken")).to_have_count(0)
    row.get_by_role("button", name="Vitals").click()
    desk.fill("#v-pulse", "72")
    desk.click("#vitals-form button[type=submit]")

    expect(row.locator(".vitals-taken")).to_have_text("vitals ✓")


def session_controls(page: Page, root: str) -> None:
    """Mark the first doctor under `root` as 20 min late and leaving now (the time offered)."""
    card = page.locator(root).filter(has=page.locator("[data-action=late]")).first
    card.locator("[data-action=late]").click()
    page.fill("#session-minutes", "20")
    page.click("#session-submit")
    expect(page.locator("#session-modal")).to_be_hidden()
    expect(card).to_contain_text("20 min late")

    card.locator("[data-action=leave]").click()
    expect(page.locator("#session-leave-at")).to_have_value(TIME)
    page.fill("#session-reason", "school run")
    page.click("#session-submit")
    expect(page.locator("#session-modal")).to_be_hidden()
    expect(card).to_contain_text("leaves")


def test_running_late_and_leaving_early_at_the_desk(open_page: OpenPage, api_as: Api) -> None:
    desk = open_page("/desk", user="staff")
    show_department(desk)
    session_controls(desk, "#doctor-cards .doctor-card")
    admin = api_as("admin")
    day = admin.get(f"/api/departments/{general_id(admin)}/day").json()
    assert any(s["delay_minutes"] == 20 and s["closed_early_at"] for s in day["sessions"])


def test_running_late_and_leaving_early_on_the_admin_page(open_page: OpenPage, api_as: Api) -> None:
    page = open_page("/admin", user="admin")
    page.select_option("#sessions-department", label=GENERAL)
    session_controls(page, "#session-rows tr")
    admin = api_as("admin")
    day = admin.get(f"/api/departments/{general_id(admin)}/day").json()
    assert any(s["delay_minutes"] == 20 and s["closed_early_at"] for s in day["sessions"])


def placeholder_fits(page: Page, selector: str) -> bool:
    """Tell whether an input's placeholder is shown whole (measured in the input's own font)."""
    return bool(
        page.eval_on_selector(
            selector,
            """(input) => {
              const style = getComputedStyle(input);
              const context = document.createElement("canvas").getContext("2d");
              context.font = `${style.fontSize} ${style.fontFamily}`;
              const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
              const room = input.clientWidth - padding;
              return context.measureText(input.placeholder).width <= room;
            }""",
        )
    )


@pytest.mark.parametrize("width", [375, 1280, 1600])
def test_the_desk_fits_a_phone_and_its_search_hint_is_whole(
    open_page: OpenPage, width: int
) -> None:
    desk = open_page("/desk", user="nurse", width=width, height=800)
    show_department(desk)
    expect(desk.locator("#desk-rows tr").first).to_be_visible()
    expect(desk.locator("#arrival-rows tr").first).to_be_visible()
    assert placeholder_fits(desk, "#search-q")
    for box in ("#desk-queue-box", "#arrivals-card"):
        overflow = desk.eval_on_selector(box, "(b) => b.scrollWidth - b.clientWidth")
        assert overflow <= 0, f"{box} is {overflow}px too wide at {width}px"
    button = desk.locator("#desk-rows tr").first.get_by_role("button", name="Emergency")
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width


def presence_of(client: httpx.Client, name: str) -> bool:
    day = client.get(f"/api/departments/{general_id(client)}/day").json()
    return bool(next(s["desk_open"] for s in day["sessions"] if s["doctor_name"] == name))


@pytest.mark.parametrize(
    ("path", "user", "rows"),
    [
        ("/desk", "staff", "#doctor-cards .doctor-card"),
        ("/admin", "admin", "#session-rows tr"),
    ],
)
def test_a_doctor_without_a_login_has_their_desk_opened_and_closed_for_them(
    open_page: OpenPage, api_as: Api, path: str, user: str, rows: str
) -> None:
    page = open_page(path, user=user)
    if path == "/desk":
        show_department(page)
    else:
        page.select_option("#sessions-department", label=GENERAL)
    meyer = page.locator(rows).filter(
        has_text="Dr. Lucas Meyer"
    )  # the demo's doctor without a login
    okafor = page.locator(rows).filter(has_text="Dr. Amara Okafor")  # opens from the console
    expect(okafor).to_have_count(1)
    expect(okafor.locator("[data-action=desk]")).to_have_count(0)
    expect(meyer).to_contain_text("desk closed")

    meyer.get_by_role("button", name="Open desk").click()

    expect(meyer).to_contain_text("desk open")
    assert presence_of(api_as("admin"), "Dr. Lucas Meyer")
    meyer.get_by_role("button", name="Close desk").click()
    expect(meyer).to_contain_text("desk closed")
    assert not presence_of(api_as("admin"), "Dr. Lucas Meyer")
