"""POST /api/admin/sessions/<id>/close: a doctor leaves early, and every bad input's code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select

from server.models import DoctorSession, Role, Ticket
from tests.api.conftest import Clinic
from tests.conftest import T0, Clock

ELEVEN = T0 + timedelta(hours=2)


async def session_id(c: Clinic) -> int:
    async with c.services.database() as db:
        found = await db.scalar(
            select(DoctorSession.id).where(DoctorSession.doctor_id == c.doctor.id)
        )
    assert found is not None
    return found


async def close(
    client: Client, c: Clinic, body: Any, ident: int | None = None
) -> tuple[int, dict[str, Any]]:
    target = ident if ident is not None else await session_id(c)
    response = await client.post(
        f"/api/admin/sessions/{target}/close", json=body, headers=c.headers(Role.ADMIN)
    )
    return response.status_code, await response.get_json()


async def test_closing_at_eleven_shares_the_later_patients(
    clinic_day: Clinic, client: Client
) -> None:
    booked = await client.post(
        "/api/appointments",
        json={
            "patient_id": clinic_day.other_patient.id,
            "doctor_id": clinic_day.doctor.id,
            "starts_at": (ELEVEN + timedelta(minutes=30)).isoformat(),
        },
        headers=clinic_day.headers(Role.STAFF),
    )
    assert booked.status_code == 201
    ticket_id = (await booked.get_json())["ticket_id"]
    status, body = await close(
        client, clinic_day, {"at": ELEVEN.isoformat(), "reason": "called away"}
    )
    assert status == 200, body
    assert body["closed_early_at"] == ELEVEN.isoformat()
    assert body["moved_ticket_ids"] == [ticket_id]
    assert body["closed_slots"] == 16  # 11:00 to 15:00 in quarter hours
    moved = await clinic_day.services.read(lambda s: s.get(Ticket, ticket_id))
    assert moved is not None and moved.doctor_id is None

    late = await client.post(
        "/api/appointments",
        json={
            "patient_id": clinic_day.patient.id,
            "doctor_id": clinic_day.doctor.id,
            "starts_at": (ELEVEN + timedelta(minutes=15)).isoformat(),
        },
        headers=clinic_day.headers(Role.STAFF),
    )
    assert (late.status_code, (await late.get_json())["code"]) == (409, "SLOT_CLOSED")


async def test_without_a_time_the_session_closes_now(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    clock.advance(minutes=20)
    status, body = await close(client, clinic_day, {"reason": "unwell"})
    assert status == 200, body
    assert body["closed_early_at"] == clock.now.isoformat()


async def test_a_time_without_offset_is_read_as_utc(clinic_day: Clinic, client: Client) -> None:
    naive = ELEVEN.replace(tzinfo=None).isoformat()
    status, body = await close(client, clinic_day, {"at": naive, "reason": "unwell"})
    assert status == 200, body
    assert body["closed_early_at"] == ELEVEN.isoformat()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"at": (T0 - timedelta(hours=2)).isoformat(), "reason": "x"},
            422,
            "CLOSE_OUTSIDE_SESSION",
        ),
        (
            {"at": (T0 + timedelta(hours=7)).isoformat(), "reason": "x"},
            422,
            "CLOSE_OUTSIDE_SESSION",
        ),
        ({"at": (T0 - timedelta(minutes=30)).isoformat(), "reason": "x"}, 422, "CLOSE_IN_PAST"),
        ({"at": "eleven o'clock", "reason": "x"}, 400, "VALIDATION_ERROR"),
        ({"at": ELEVEN.isoformat()}, 400, "VALIDATION_ERROR"),
        ({"at": ELEVEN.isoformat(), "reason": ""}, 400, "VALIDATION_ERROR"),
        ({"at": ELEVEN.isoformat(), "reason": "x", "extra": 1}, 400, "VALIDATION_ERROR"),
    ],
)
async def test_bad_input_gets_its_code_and_changes_nothing(
    clinic_day: Clinic, client: Client, body: dict[str, Any], status: int, code: str
) -> None:
    got, payload = await close(client, clinic_day, body)
    assert got == status, payload
    assert payload["code"] == code
    ident = await session_id(clinic_day)
    row = await clinic_day.services.read(lambda s: s.get(DoctorSession, ident))
    assert row is not None and row.closed_early_at is None


async def test_an_unknown_session_is_404_and_a_second_close_409(
    clinic_day: Clinic, client: Client
) -> None:
    ident = await session_id(clinic_day)
    status, payload = await close(client, clinic_day, {"reason": "x"}, ident + 1000)
    assert (status, payload["code"]) == (404, "SESSION_NOT_FOUND")
    assert (await close(client, clinic_day, {"at": ELEVEN.isoformat(), "reason": "x"}))[0] == 200
    status, payload = await close(client, clinic_day, {"reason": "x"})
    assert (status, payload["code"]) == (409, "ALREADY_CLOSED")


async def test_a_delay_is_written_in_the_audit_log_with_who_made_it(
    clinic_day: Clinic, client: Client
) -> None:
    ident = await session_id(clinic_day)
    response = await client.post(
        f"/api/admin/sessions/{ident}/delay",
        json={"delay_minutes": 15},
        headers=clinic_day.headers(Role.STAFF),
    )
    assert response.status_code == 200
    assert await response.get_json() == {"id": ident, "delay_minutes": 15}
    log = await (
        await client.get("/api/admin/audit", headers=clinic_day.headers(Role.ADMIN))
    ).get_json()
    [row] = [e for e in log["events"] if e["action"] == "session.delay"]
    assert row["details"] == {"session_id": ident, "from_minutes": 0, "to_minutes": 15}
    me = await (await client.get("/api/auth/me", headers=clinic_day.headers(Role.STAFF))).get_json()
    assert row["actor_id"] == me["user_id"]


async def test_a_delay_of_an_unknown_session_is_a_404(clinic_day: Clinic, client: Client) -> None:
    response = await client.post(
        "/api/admin/sessions/99999/delay",
        json={"delay_minutes": 15},
        headers=clinic_day.headers(Role.STAFF),
    )
    assert response.status_code == 404
    assert (await response.get_json())["code"] == "SESSION_NOT_FOUND"
