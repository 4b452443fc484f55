"""SMART scopes: what a token may be given, and what each scope grants."""

from __future__ import annotations

import pytest

from server.auth.scopes import Access, check_grantable, parse, parse_all, permitted
from server.errors import Invalid
from server.models import Role


@pytest.mark.parametrize(
    ("text", "read", "write"),
    [
        ("patient/Appointment.read", True, False),
        ("system/Appointment.write", False, True),
        ("user/*.*", True, True),
        ("patient/Appointment.rs", True, False),
        ("system/Appointment.cruds", True, True),
        ("system/Appointment.cud", False, True),
    ],
)
def test_v1_and_v2_accesses_parse(text: str, read: bool, write: bool) -> None:
    scope = parse(text)
    assert (scope.read, scope.write) == (read, write)


@pytest.mark.parametrize(
    "text",
    [
        "Appointment.read",
        "admin/Appointment.read",
        "system/Observation.read",
        "system/Slot.sr",
        "system/Slot.rr",
        "system/Slot.read extra",
        "launch/patient",
    ],
)
def test_what_is_not_a_scope_is_refused(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse(text)
    assert refused.value.code == "SCOPE_INVALID"


def test_the_broadest_granting_scope_wins() -> None:
    scopes = parse_all("patient/Appointment.read system/*.read")
    found = permitted(scopes, "Appointment", Access.READ)
    assert found is not None and found.context == "system"
    assert permitted(scopes, "Appointment", Access.WRITE) is None


def test_patients_hold_no_system_scopes_and_staff_no_patient_ones() -> None:
    with pytest.raises(Invalid):
        check_grantable(["system/Slot.read"], Role.PATIENT, has_patient=True)
    with pytest.raises(Invalid):
        check_grantable(["patient/Slot.read"], Role.STAFF, has_patient=False)
    assert check_grantable(["user/Slot.read", "user/Slot.read"], Role.STAFF, False) == (
        "user/Slot.read"
    )
