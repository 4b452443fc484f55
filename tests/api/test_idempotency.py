"""A retried creation with the same Idempotency-Key returns the first answer, not a twin."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select

from server.models import Appointment, Patient, Role
from tests.api.conftest import Clinic


async def count(clinic_day: Clinic, model: Any) -> int:
    return int(
        await clinic_day.services.read(lambda s: s.scalar(select(func.count()).select_from(model)))
    )


def keyed(clinic_day: Clinic, key: str, role: Role = Role.STAFF) -> dict[str, str]:
    return {**clinic_day.headers(role), "Idempotency-Key": key}


def creations(clinic_day: Clinic) -> list[tuple[str, dict[str, Any], Any]]:
    return [
        (
            "/api/walk-ins",
            {"patient_id": clinic_day.patient.id, "department_id": clinic_day.department.id},
            Appointment,
        ),
        (
            "/api/emergencies",
            {"patient_id": clinic_day.other_patient.id, "department_id": clinic_day.department.id},
            Appointment,
        ),
        (
            "/api/patients",
            {"full_name": "Keyed Person", "date_of_birth": "1990-01-01", "sex": "F"},
            Patient,
        ),
    ]


async def test_a_retried_creation_returns_the_first_answer(
    clinic_day: Clinic, client: Client
) -> None:
    for number, (path, body, model) in enumerate(creations(clinic_day)):
        before = await count(clinic_day, model)
        first = await client.post(path, json=body, headers=keyed(clinic_day, f"k-{number}"))
        again = await client.post(path, json=body, headers=keyed(clinic_day, f"k-{number}"))
        assert first.status_code == again.status_code == 201, path
        assert await first.get_json() == await again.get_json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert await count(clinic_day, model) == before + 1, path


async def test_a_patients_booking_retried_books_once(clinic_day: Clinic, client: Client) -> None:
    slot = (
        await (
            await client.get(
                f"/api/slots?doctor_id={clinic_day.doctor.id}",
                headers=clinic_day.headers(Role.PATIENT),
            )
        ).get_json()
    )["slots"][0]["id"]
    answers = [
        await client.post(
            "/api/appointments",
            json={"slot_id": slot},
            headers=keyed(clinic_day, "book-1", Role.PATIENT),
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({(await a.get_json())["ticket_id"] for a in answers}) == 1
    assert await count(clinic_day, Appointment) == 1


async def test_parallel_retries_create_once(clinic_day: Clinic, client: Client) -> None:
    path, body, _ = creations(clinic_day)[0]
    answers = await asyncio.gather(
        *(client.post(path, json=body, headers=keyed(clinic_day, "same")) for _ in range(5))
    )
    assert [a.status_code for a in answers] == [201] * 5
    assert len({(await a.get_json())["ticket_id"] for a in answers}) == 1
    assert await count(clinic_day, Appointment) == 1


async def test_the_same_key_with_another_body_is_refused(
    clinic_day: Clinic, client: Client
) -> None:
    path, body, _ = creations(clinic_day)[0]
    await client.post(path, json=body, headers=keyed(clinic_day, "k"))
    other = await client.post(
        path, json={**body, "reason": "different"}, headers=keyed(clinic_day, "k")
    )
    assert other.status_code == 422
    assert (await other.get_json())["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await count(clinic_day, Appointment) == 1


async def test_keys_belong_to_their_user(clinic_day: Clinic, client: Client) -> None:
    body = {"full_name": "Keyed Person", "date_of_birth": "1990-01-01", "sex": "F"}
    first = await client.post("/api/patients", json=body, headers=keyed(clinic_day, "k"))
    second = await client.post(
        "/api/patients", json=body, headers=keyed(clinic_day, "k", Role.NURSE)
    )
    assert first.status_code == second.status_code == 201
    assert (await first.get_json())["id"] != (await second.get_json())["id"]


async def test_a_refusal_is_not_remembered(clinic_day: Clinic, client: Client) -> None:
    body = {"patient_id": clinic_day.patient.id, "department_id": 987654}
    refused = await client.post("/api/walk-ins", json=body, headers=keyed(clinic_day, "r"))
    assert refused.status_code == 404
    fixed = {**body, "department_id": clinic_day.department.id}
    # The refusal changed nothing and kept no answer: the corrected request may use the key.
    again = await client.post("/api/walk-ins", json=fixed, headers=keyed(clinic_day, "r"))
    assert again.status_code == 201


async def test_keys_expire_after_a_day(clinic_day: Clinic, client: Client) -> None:
    path, body, _ = creations(clinic_day)[2]
    first = await client.post(path, json=body, headers=keyed(clinic_day, "old"))
    clinic_day.services.clock.advance(hours=25)  # type: ignore[attr-defined]
    later = await client.post(path, json=body, headers=keyed(clinic_day, "old"))
    assert first.status_code == later.status_code == 201
    assert (await first.get_json())["id"] != (await later.get_json())["id"]
    assert "Idempotent-Replayed" not in later.headers


@pytest.mark.parametrize("key", ["", "x" * 101, "has space", "naïve"])
async def test_a_malformed_key_is_a_400(key: str, clinic_day: Clinic, client: Client) -> None:
    path, body, _ = creations(clinic_day)[0]
    response = await client.post(path, json=body, headers=keyed(clinic_day, key))
    assert response.status_code == 400
    assert (await response.get_json())["code"] == "BAD_IDEMPOTENCY_KEY"
    assert await count(clinic_day, Appointment) == 0
