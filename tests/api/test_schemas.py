"""Request bodies: a time without an offset means UTC, on every route that takes one."""

from __future__ import annotations

from datetime import timedelta

from quart.typing import TestClientProtocol as Client

from server.models import Role
from tests.api.conftest import Clinic
from tests.conftest import T0


def naive(hours: float) -> str:
    """Return T0 + `hours` written without an offset, as a form or a script might send it."""
    return (T0 + timedelta(hours=hours)).replace(tzinfo=None).isoformat()


async def test_a_booking_by_doctor_and_naive_time_books_that_utc_slot(
    clinic_day: Clinic, client: Client
) -> None:
    response = await client.post(
        "/api/appointments",
        json={"doctor_id": clinic_day.doctor.id, "starts_at": naive(1)},
        headers=clinic_day.headers(Role.PATIENT),
    )
    body = await response.get_json()
    assert response.status_code == 201, body
    assert body["scheduled_at"] == (T0 + timedelta(hours=1)).isoformat()


async def test_a_session_with_naive_times_is_created_in_utc(
    clinic_day: Clinic, client: Client
) -> None:
    response = await client.post(
        "/api/admin/sessions",
        json={"doctor_id": clinic_day.doctor.id, "starts_at": naive(10), "ends_at": naive(12)},
        headers=clinic_day.headers(Role.ADMIN),
    )
    body = await response.get_json()
    assert response.status_code == 201, body
    assert body["starts_at"] == (T0 + timedelta(hours=10)).isoformat()
