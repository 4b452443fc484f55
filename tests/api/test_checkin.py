"""Self check-in from the phone (the board's code), the kiosk, and printed tickets."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import segno
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.actions.booking import SlotChoice
from server.auth.actor import SYSTEM
from server.auth.secrets import sign_ticket
from server.models import Appointment, AuditEvent, Patient, Role, Slot, Ticket
from server.queue.checkin import code_for, period_of
from server.scheduling.reading import read_queue
from tests.api.conftest import Clinic
from tests.conftest import T0, Clock
from tests.factories import make_department, make_patient

PERIOD_S = 300  # CLINIC_CHECKIN_CODE_PERIOD_S's default


async def book_at(c: Clinic, patient: Patient, starts_at: datetime) -> Ticket:
    """Book the doctor's slot that starts at `starts_at` for `patient`."""

    async def work(s: AsyncSession) -> Ticket:
        slot = await s.scalar(
            select(Slot).where(Slot.doctor_id == c.doctor.id, Slot.starts_at == starts_at)
        )
        assert slot is not None
        return await booking.book(
            s, SYSTEM, patient_id=patient.id, choice=SlotChoice(slot.id), now=T0 - timedelta(days=1)
        )

    return await c.services.run(work)


def code(c: Clinic, at: datetime, back: int = 0) -> str:
    """Return the board's code `back` periods before the one of `at`."""
    secret = c.services.settings.secret_key
    return code_for(secret, c.department.id, period_of(at, PERIOD_S) - back, 4)


def link(c: Clinic, ticket: Ticket) -> str:
    return sign_ticket(c.services.settings.secret_key, ticket.id)


async def self_check_in(client: Client, c: Clinic, ticket: Ticket, value: str) -> Any:
    return await client.post("/api/checkin", json={"link": link(c, ticket), "code": value})


async def appointment_of(c: Clinic, ticket: Ticket) -> Appointment:
    async def work(s: AsyncSession) -> Appointment:
        found = await s.get(Ticket, ticket.id)
        assert found is not None
        return found.appointment

    return await c.services.read(work)


async def test_the_phone_checks_in_with_the_boards_code_in_the_window(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    ticket = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(minutes=30))
    clock.advance(minutes=5)  # 25 minutes before the appointment: inside the window

    response = await self_check_in(client, clinic_day, ticket, code(clinic_day, clock()))

    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "waiting"
    assert body["checkin_method"] == "phone"
    assert body["late_min"] is None
    appointment = await appointment_of(clinic_day, ticket)
    assert appointment.checkin_method == "phone"
    audit = await clinic_day.services.read(
        lambda s: s.scalar(
            select(AuditEvent).where(
                AuditEvent.appointment_id == appointment.id, AuditEvent.action == "check_in"
            )
        )
    )
    assert audit is not None and audit.details["method"] == "phone"


async def test_the_code_of_the_period_before_still_works(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    ticket = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(minutes=15))
    response = await self_check_in(client, clinic_day, ticket, code(clinic_day, clock(), back=1))
    assert response.status_code == 200, await response.get_json()


async def test_a_stale_or_wrong_code_is_refused_and_changes_nothing(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    ticket = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(minutes=15))
    stale = code(clinic_day, clock(), back=3)
    wrong = next(
        f"{n:04d}"
        for n in range(10000)
        if f"{n:04d}" not in {code(clinic_day, clock(), back) for back in range(30)}
    )

    refused = await self_check_in(client, clinic_day, ticket, stale)
    assert refused.status_code == 422
    assert (await refused.get_json())["code"] == "CHECKIN_CODE_STALE"
    refused = await self_check_in(client, clinic_day, ticket, wrong)
    assert refused.status_code == 422
    assert (await refused.get_json())["code"] == "CHECKIN_CODE_WRONG"

    appointment = await appointment_of(clinic_day, ticket)
    assert appointment.status == "booked" and appointment.checkin_method is None


async def test_too_early_is_refused_with_the_time_it_opens(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    ticket = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(hours=2))

    refused = await self_check_in(client, clinic_day, ticket, code(clinic_day, clock()))

    body = await refused.get_json()
    assert refused.status_code == 422 and body["code"] == "CHECKIN_TOO_EARLY"
    opens = T0 + timedelta(hours=2) - timedelta(minutes=30)
    assert datetime.fromisoformat(body["details"]["opens_at"]) == opens


async def test_a_late_arrival_is_checked_in_as_late_and_fitted_in_from_arrival(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    async with clinic_day.services.database() as db, db.begin():
        on_time = await make_patient(db)
    late = await book_at(clinic_day, clinic_day.patient, T0)  # 09:00
    later = await book_at(clinic_day, on_time, T0 + timedelta(minutes=30))  # 09:30
    clock.advance(minutes=20)
    assert (
        await self_check_in(client, clinic_day, later, code(clinic_day, clock()))
    ).status_code == 200
    clock.advance(minutes=20)  # 09:40: forty minutes late

    response = await self_check_in(client, clinic_day, late, code(clinic_day, clock()))

    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "waiting" and body["late_min"] == 40
    # Re-planned from the arrival: the patient who came on time for 09:30 goes first.
    headers = clinic_day.headers(Role.STAFF)
    ahead = {}
    for ticket in (late, later):
        view = await (await client.get(f"/api/tickets/{ticket.id}", headers=headers)).get_json()
        ahead[ticket.id] = view["ticket"]["ahead"]
    assert ahead == {later.id: 0, late.id: 1}
    # For the solver too, the late patient is due from their arrival (09:40), not 09:00.
    reading = await clinic_day.services.read(
        lambda s: read_queue(s, clinic_day.department.id, T0.date(), clock(), 10.0)
    )
    assert reading is not None
    due = {t.ticket_id: (t.appointment_at, t.due_min) for t in reading.state.tickets}
    assert due[late.id] == (None, 9 * 60 + 40)
    assert due[later.id] == (9 * 60 + 30, 9 * 60 + 30)


async def test_wrong_codes_are_rate_limited_per_ticket(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    ticket = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(minutes=15))
    used = {code(clinic_day, clock(), back) for back in range(30)}
    wrong = [f"{n:04d}" for n in range(10000) if f"{n:04d}" not in used][:5]
    for value in wrong:
        assert (await self_check_in(client, clinic_day, ticket, value)).status_code == 422

    blocked = await self_check_in(client, clinic_day, ticket, code(clinic_day, clock()))

    assert blocked.status_code == 429
    assert (await appointment_of(clinic_day, ticket)).status == "booked"


async def test_a_logged_in_patient_checks_in_their_own_ticket_only(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    mine = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(minutes=15))
    theirs = await book_at(clinic_day, clinic_day.other_patient, T0 + timedelta(minutes=15))
    headers = clinic_day.headers(Role.PATIENT)
    value = code(clinic_day, clock())

    other = await client.post(
        "/api/checkin", json={"ticket_id": theirs.id, "code": value}, headers=headers
    )
    assert other.status_code == 404
    own = await client.post(
        "/api/checkin", json={"ticket_id": mine.id, "code": value}, headers=headers
    )
    assert own.status_code == 200, await own.get_json()
    anonymous = await client.post("/api/checkin", json={"ticket_id": theirs.id, "code": value})
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"code": "1234"},
        {"link": "x", "ticket_id": 1, "code": "1234"},
        {"link": "x", "code": "12a4"},
        {"link": "x", "code": "123"},
        {"link": "x", "code": "1234", "extra": 1},
    ],
)
async def test_malformed_check_ins_are_400(clinic_day: Clinic, client: Client, body: Any) -> None:
    response = await client.post("/api/checkin", json=body)
    assert response.status_code == 400


async def test_a_bad_link_is_401(clinic_day: Clinic, client: Client) -> None:
    response = await client.post("/api/checkin", json={"link": "not-a-link", "code": "1234"})
    assert response.status_code == 401
    assert (await response.get_json())["code"] == "LINK_INVALID"


async def test_the_desk_check_in_is_recorded_as_desk(clinic_day: Clinic, client: Client) -> None:
    ticket = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(minutes=15))
    response = await client.post(
        f"/api/tickets/{ticket.id}/check-in", headers=clinic_day.headers(Role.STAFF)
    )
    assert response.status_code == 200
    assert (await appointment_of(clinic_day, ticket)).checkin_method == "desk"


async def create_display(client: Client, c: Clinic, kind: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/admin/displays",
        json={"name": f"{kind} {len(extra)}", "kind": kind, **extra},
        headers=c.headers(Role.ADMIN),
    )
    body = await response.get_json()
    assert response.status_code == 201, body
    return dict(body)


async def test_the_board_gets_its_departments_codes_and_a_kiosk_key_does_not(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    board = await create_display(client, clinic_day, "board")
    kiosk = await create_display(client, clinic_day, "kiosk")
    assert board["url"].endswith(f"/board?key={board['key']}")
    assert kiosk["url"].endswith(f"/kiosk?key={kiosk['key']}")

    response = await client.get("/api/checkin/codes", headers={"X-Display-Key": board["key"]})

    body = await response.get_json()
    assert response.status_code == 200, body
    mine = next(c for c in body["codes"] if c["department_id"] == clinic_day.department.id)
    assert mine["code"] == code(clinic_day, clock())
    assert mine["url"].endswith(f"/checkin?d={clinic_day.department.id}&c={mine['code']}")
    assert mine["qr"].startswith("data:image/svg+xml")
    for key in (kiosk["key"], "dk_nope", ""):
        refused = await client.get("/api/checkin/codes", headers={"X-Display-Key": key})
        assert refused.status_code == 401


async def kiosk_post(client: Client, key: str, path: str, body: dict[str, Any]) -> Any:
    return await client.post(f"/api/kiosk/{path}", json=body, headers={"X-Display-Key": key})


async def test_the_kiosk_checks_in_by_record_number_and_shows_no_name(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    kiosk = await create_display(client, clinic_day, "kiosk")
    ticket = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(minutes=45))
    record = clinic_day.patient.record_number.lower()  # typed in lower case

    response = await kiosk_post(client, kiosk["key"], "check-in", {"record_number": record})

    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["token"] == ticket.token and body["status"] == "waiting"
    assert body["ahead"] == 0
    assert body["print_url"] == f"/print/ticket/{link(clinic_day, ticket)}"
    text = (await response.get_data(as_text=True)).lower()
    assert clinic_day.patient.full_name.lower() not in text
    assert record not in text
    assert (await appointment_of(clinic_day, ticket)).checkin_method == "kiosk"
    again = await kiosk_post(client, kiosk["key"], "check-in", {"record_number": record})
    assert again.status_code == 404
    assert (await again.get_json())["code"] == "BOOKING_NOT_FOUND"


async def test_the_kiosk_finds_a_patient_by_phone_and_date_of_birth(
    clinic_day: Clinic, client: Client
) -> None:
    kiosk = await create_display(client, clinic_day, "kiosk")
    ticket = await book_at(clinic_day, clinic_day.patient, T0 + timedelta(minutes=15))
    patient = clinic_day.patient
    local = (patient.phone or "")[2:]  # typed without the country code, with spaces
    spaced = f"{local[:3]} {local[3:6]} {local[6:]}"
    wrong_day = {"phone": spaced, "date_of_birth": "1900-01-01"}

    missed = await kiosk_post(client, kiosk["key"], "check-in", wrong_day)
    assert missed.status_code == 404
    assert (await missed.get_json())["code"] == "PATIENT_NOT_FOUND"
    found = await kiosk_post(
        client,
        kiosk["key"],
        "check-in",
        {"phone": spaced, "date_of_birth": patient.date_of_birth.isoformat()},
    )
    assert found.status_code == 200, await found.get_json()
    assert (await found.get_json())["token"] == ticket.token


async def test_the_kiosk_gives_a_walk_in_ticket_once(clinic_day: Clinic, client: Client) -> None:
    kiosk = await create_display(client, clinic_day, "kiosk")
    info = await (
        await client.get("/api/kiosk", headers={"X-Display-Key": kiosk["key"]})
    ).get_json()
    assert clinic_day.department.id in [d["id"] for d in info["departments"]]
    body = {"record_number": clinic_day.other_patient.record_number}
    body["department_id"] = clinic_day.department.id  # type: ignore[assignment]

    response = await kiosk_post(client, kiosk["key"], "walk-in", body)

    answer = await response.get_json()
    assert response.status_code == 201, answer
    assert re.fullmatch(r"[A-Z]{1,3}-\d{3}", answer["token"])
    assert answer["status"] == "waiting" and answer["print_url"].startswith("/print/ticket/")
    again = await kiosk_post(client, kiosk["key"], "walk-in", body)
    assert again.status_code == 409
    assert (await again.get_json())["code"] == "ALREADY_QUEUED"


async def test_a_kiosk_of_one_department_gives_tickets_for_it_only(
    clinic_day: Clinic, client: Client
) -> None:
    async with clinic_day.services.database() as db, db.begin():
        other = await make_department(db)
    kiosk = await create_display(
        client, clinic_day, "kiosk", department_id=clinic_day.department.id
    )
    body = {"record_number": clinic_day.other_patient.record_number, "department_id": other.id}
    refused = await kiosk_post(client, kiosk["key"], "walk-in", body)
    assert refused.status_code == 403


async def test_the_kiosk_refuses_a_board_key_and_limits_look_ups(
    clinic_day: Clinic, client: Client
) -> None:
    board = await create_display(client, clinic_day, "board")
    kiosk = await create_display(client, clinic_day, "kiosk")
    unknown = {"record_number": "MRN-NOBODY"}
    refused = await kiosk_post(client, board["key"], "check-in", unknown)
    assert refused.status_code == 401
    assert (await refused.get_json())["code"] == "KIOSK_KEY_INVALID"
    statuses = [
        (await kiosk_post(client, kiosk["key"], "check-in", unknown)).status_code for _ in range(21)
    ]
    assert statuses == [404] * 20 + [429]


async def test_the_desk_prints_a_ticket_whose_qr_code_opens_the_live_page(
    clinic_day: Clinic, client: Client
) -> None:
    ticket = await clinic_day.walk_in()
    staff = await client.get(
        f"/api/tickets/{ticket.id}/print", headers=clinic_day.headers(Role.STAFF)
    )
    assert staff.status_code == 200
    url = (await staff.get_json())["url"]
    patient = await client.get(
        f"/api/tickets/{ticket.id}/print", headers=clinic_day.headers(Role.PATIENT)
    )
    assert patient.status_code == 403

    page = await client.get(url)

    html = await page.get_data(as_text=True)
    assert page.status_code == 200
    assert ticket.token in html and clinic_day.department.name in html
    assert "You are next" in html
    live = f"{clinic_day.services.settings.public_url}/t/{url.rsplit('/', 1)[1]}"
    assert qr_matrix(html) == expected_matrix(live)
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    bad = await client.get("/print/ticket/not-a-link")
    assert bad.status_code == 401


def qr_matrix(html: str) -> list[list[bool]]:
    """Read the modules of the page's QR code back from its SVG path (segno's format)."""
    match = re.search(r'<svg viewBox="0 0 (\d+) (\d+)"[^>]*>.*?<path[^>]* d="([^"]+)"', html)
    assert match is not None, "no QR code on the page"
    size = int(match.group(1)) // 4 - 8  # scale 4, a quiet zone of 4 modules each side
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for op, a, b in re.findall(r"([MmHh])(-?[\d.]+)(?: (-?[\d.]+))?", match.group(3)):
        if op in "Mm":
            x, y = (float(a), float(b)) if op == "M" else (x + float(a), y + float(b))
        else:
            for column in range(int(x), int(x + float(a))):
                grid[int(y) - 4][column - 4] = True
            x += float(a)
    return grid


def expected_matrix(text: str) -> list[list[bool]]:
    """Return the modules segno draws for `text` with the slip's settings."""
    return [[bool(m) for m in row] for row in segno.make(text, error="m", micro=False).matrix]
