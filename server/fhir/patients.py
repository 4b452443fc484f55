"""Patient: our patients as FHIR Patients; searching them; reading a new one from FHIR."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from server.actions.patients import NewPatient
from server.fhir.base import RECORD_NUMBER, Resource, day, resource
from server.fhir.outcome import invalid
from server.fhir.search import Query, bad, date_filter, parse_id
from server.models import ContactPreference, Patient

SEARCH = ("_id", "identifier", "name", "birthdate", "gender")
GENDER = {"F": "female", "M": "male", "X": "other"}
SEX = {v: k for k, v in GENDER.items()} | {"unknown": "X"}


def to_fhir(patient: Patient) -> Resource:
    """Map one patient."""
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone, "use": "mobile"})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    return resource(
        "Patient",
        patient.id,
        patient.created_at,
        identifier=[{"use": "usual", "system": RECORD_NUMBER, "value": patient.record_number}],
        active=True,
        name=[{"use": "official", "text": patient.full_name, **_parts(patient.full_name)}],
        telecom=telecom,
        gender=GENDER.get(patient.sex, "unknown"),
        birthDate=day(patient.date_of_birth),
    )


def _parts(full_name: str) -> dict[str, Any]:
    words = full_name.split()
    if len(words) < 2:
        return {"family": full_name}
    return {"family": words[-1], "given": words[:-1]}


def identifier_value(text: str, parameter: str = "identifier") -> str:
    """Read `system|value` (our record-number system, or none) as a record number."""
    refuse = invalid if parameter.startswith("Patient.") else bad
    system, _, value = text.rpartition("|")
    if "|" in text and system not in ("", RECORD_NUMBER):
        raise refuse(parameter, f"only the system {RECORD_NUMBER} is known here")
    if not value or len(value) > 32:
        raise refuse(parameter, "a record number of 1 to 32 characters")
    return value


def conditions(query: Query) -> list[ColumnElement[bool]]:
    """Translate the search parameters into conditions on patients."""
    found: list[ColumnElement[bool]] = []
    ids = query.one("_id")
    if ids is not None:
        found.append(Patient.id.in_([parse_id("_id", v) for v in ids]))
    numbers = query.one("identifier")
    if numbers is not None:
        found.append(Patient.record_number.in_([identifier_value(v) for v in numbers]))
    names = query.one("name")
    if names is not None:
        found.append(
            or_(
                *(func.lower(Patient.full_name).contains(n.lower(), autoescape=True) for n in names)
            )
        )
    found += date_filter("birthdate", query.values("birthdate"), Patient.date_of_birth)
    genders = query.one("gender")
    if genders is not None:
        if any(g not in SEX for g in genders):
            raise bad("gender", "one of female, male, other, unknown")
        found.append(Patient.sex.in_([SEX[g] for g in genders]))
    return found


def search(query: Query, compartment: int | None) -> Select[Any]:
    """Select the patients a search matches (a patient's token: only themselves)."""
    statement = select(Patient).where(*conditions(query))
    if compartment is not None:
        statement = statement.where(Patient.id == compartment)
    return statement.order_by(Patient.id)


def from_fhir(body: dict[str, Any]) -> NewPatient:
    """Read a validated Patient resource into what the create action needs."""
    names = body.get("name") or []
    if not names:
        raise invalid("Patient.name", "a patient needs a name")
    first = names[0]
    full = first.get("text") or " ".join([*(first.get("given") or []), first.get("family") or ""])
    full = " ".join(full.split())
    if not full or len(full) > 200:
        raise invalid("Patient.name", "a name of 1 to 200 characters")
    birth = body.get("birthDate")
    if not birth or len(str(birth)) != 10:
        raise invalid("Patient.birthDate", "a full date of birth (YYYY-MM-DD)")
    born = date.fromisoformat(str(birth))
    if not 1900 <= born.year <= 2999:
        raise invalid("Patient.birthDate", "within 1900-2999")
    gender = body.get("gender") or "unknown"
    telecom = body.get("telecom") or []
    phone = next((t.get("value") for t in telecom if t.get("system") == "phone"), None)
    email = next((t.get("value") for t in telecom if t.get("system") == "email"), None)
    record = None
    for identifier in body.get("identifier") or []:
        if identifier.get("system") == RECORD_NUMBER and identifier.get("value"):
            record = identifier_value(str(identifier["value"]), "Patient.identifier")
    if phone is not None and len(phone) > 20:
        raise invalid("Patient.telecom", "a phone number of at most 20 characters")
    if email is not None and len(email) > 254:
        raise invalid("Patient.telecom", "an e-mail address of at most 254 characters")
    return NewPatient(
        full_name=full,
        date_of_birth=born,
        sex=SEX.get(gender, "X"),
        phone=phone,
        email=email,
        contact_preference=ContactPreference.SMS
        if phone
        else (ContactPreference.EMAIL if email else ContactPreference.NONE),
        record_number=record,
    )
