"""A live server with a small clinic, scoped bearer tokens, and fhirpy clients on /fhir/R4."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhirpy import AsyncFHIRClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.config import Settings
from server.models import Department, Doctor, DoctorSession, Patient, Role, User
from tests.conftest import T0, Clock
from tests.factories import (
    make_department,
    make_doctor,
    make_patient,
    make_session,
    make_token,
    make_user,
)
from tests.realtime.conftest import LiveServer, serve

SYSTEM_SCOPES = [
    "system/Patient.read",
    "system/Patient.write",
    "system/Slot.read",
    "system/Schedule.read",
    "system/Appointment.read",
    "system/Appointment.write",
    "system/Encounter.read",
    "system/Practitioner.read",
    "system/PractitionerRole.read",
    "system/Location.read",
    "system/HealthcareService.read",
]


def valid(body: Any) -> Any:
    """Check a resource (a Bundle: each entry too) against fhir.resources' R4 models."""
    kind = body["resourceType"]
    get_fhir_model_class(kind).model_validate(dict(body))
    for entry in body.get("entry", []) if kind == "Bundle" else []:
        valid(entry["resource"])
    return body


@dataclass
class FhirClinic:
    """The served clinic: ids the tests book on and a bearer token per caller."""

    server: LiveServer
    department: Department
    doctor: Doctor
    session: DoctorSession
    full_session: DoctorSession
    patient: Patient
    other_patient: Patient
    tokens: dict[str, str]

    @property
    def base(self) -> str:
        return f"{self.server.url}/fhir/R4"

    def client(self, who: str = "desk") -> AsyncFHIRClient:
        return AsyncFHIRClient(self.base, authorization=f"Bearer {self.tokens[who]}")

    def http(self, who: str | None = "desk") -> httpx.AsyncClient:
        headers = {"Accept": "application/fhir+json"}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return httpx.AsyncClient(base_url=self.base, headers=headers)


async def _scoped_token(url: str, plain: str, scopes: list[str]) -> str:
    """Make a scoped token through the REST API, as an integrator would."""
    async with httpx.AsyncClient(base_url=url) as http:
        answer = await http.post(
            "/api/auth/tokens",
            json={"name": "ehr", "scopes": scopes},
            headers={"Authorization": f"Bearer {plain}"},
        )
    assert answer.status_code == 201, answer.text
    assert answer.json()["scopes"] == scopes
    return str(answer.json()["token"])


@pytest.fixture
async def fhir_clinic(
    settings: Settings, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[FhirClinic]:
    """Serve a department with a doctor working today (one roomy and one tight session)."""
    async with serve(settings, clock) as server:
        made: dict[str, Any] = {}

        async def seed(s: AsyncSession) -> None:
            department = await make_department(s)
            doctor = await make_doctor(s, department)
            made["session"] = await make_session(
                s, doctor, starts_at=T0 + timedelta(hours=1), ends_at=T0 + timedelta(hours=3)
            )
            made["full"] = await make_session(
                s,
                doctor,
                starts_at=T0 + timedelta(hours=4),
                ends_at=T0 + timedelta(hours=4, minutes=15),
                overbook_cap=0,
            )
            made["patient"] = await make_patient(s)
            made["other"] = await make_patient(s)
            users: dict[str, User] = {
                "admin": await make_user(s, Role.ADMIN),
                "desk": await make_user(s, Role.STAFF),
                "patient": await make_user(s, Role.PATIENT),
            }
            made["patient"].user_id = users["patient"].id
            made["plain"] = {name: await make_token(s, u) for name, u in users.items()}
            made["department"], made["doctor"] = department, doctor

        await server.services.run(seed)
        plain = made["plain"]
        tokens = {
            "desk": await _scoped_token(server.url, plain["desk"], SYSTEM_SCOPES),
            "admin": await _scoped_token(
                server.url, plain["admin"], [*SYSTEM_SCOPES, "system/Subscription.write"]
            ),
            "patient": await _scoped_token(
                server.url, plain["patient"], ["patient/*.read", "patient/Appointment.write"]
            ),
            "desk_slots_only": await _scoped_token(server.url, plain["desk"], ["system/Slot.read"]),
            "desk_plain": plain["desk"],
        }
        yield FhirClinic(
            server,
            made["department"],
            made["doctor"],
            made["session"],
            made["full"],
            made["patient"],
            made["other"],
            tokens,
        )
