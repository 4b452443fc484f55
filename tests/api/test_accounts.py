"""Patients on their own over HTTP: sign up, invitations, resets, dependants, preferences."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select

from server.models import OutboxMessage, Patient, Role
from server.services import Services
from tests.api.conftest import Clinic
from tests.factories import make_patient

PASSWORD = "a long enough password"
ANA = {
    "full_name": "Ana Lima",
    "date_of_birth": "1985-06-15",
    "phone": "+15550001111",
    "password": PASSWORD,
}


async def last_message(services: Services, to: str, kind: str) -> str:
    body = await services.read(
        lambda s: s.scalar(
            select(OutboxMessage.body)
            .where(OutboxMessage.to_address == to, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    )
    assert body is not None, f"no {kind} to {to}"
    return str(body)


async def code_for(services: Services, to: str, kind: str = "signup_code") -> str:
    found = re.search(r"\b(\d{6})\b", await last_message(services, to, kind))
    assert found is not None
    return found.group(1)


async def sign_up(client: Client, services: Services, **overrides: Any) -> tuple[int, Any]:
    body = {**ANA, **overrides}
    started = await client.post("/api/auth/register", json=body)
    assert started.status_code == 202, await started.get_json()
    request_id = (await started.get_json())["request_id"]
    to = body.get("email") if overrides.get("channel") == "email" else body["phone"]
    code = await code_for(services, str(to))
    done = await client.post(
        "/api/auth/register/verify", json={"request_id": request_id, "code": code}
    )
    return done.status_code, await done.get_json()


def csrf(body: dict[str, Any]) -> dict[str, str]:
    return {"X-CSRF-Token": str(body["csrf_token"])}


async def count_patients(services: Services) -> int:
    return int(await services.read(lambda s: s.scalar(select(func.count(Patient.id)))) or 0)


async def test_a_sign_up_with_the_code_from_the_outbox_logs_the_patient_in(
    services: Services, client: Client
) -> None:
    status, body = await sign_up(client, services)
    assert status == 201 and body["user"]["username"] == "+15550001111"
    me = await (await client.get("/api/auth/me")).get_json()
    assert me["role"] == "patient" and me["patient_id"] == body["patient_id"]
    again = await client.post(
        "/api/auth/login", json={"username": "+15550001111", "password": PASSWORD}
    )
    assert again.status_code == 200


async def test_a_duplicate_sign_up_does_not_duplicate_the_record(
    services: Services, app: Quart
) -> None:
    async with services.database() as db, db.begin():
        await make_patient(
            db, full_name="Ana Lima", phone="+15550001111", date_of_birth=date(1985, 6, 15)
        )
    first, _ = await sign_up(app.test_client(), services)
    assert first == 201 and await count_patients(services) == 1
    second, refusal = await sign_up(app.test_client(), services)
    assert second == 409 and refusal["code"] == "ACCOUNT_EXISTS"
    assert await count_patients(services) == 1


async def test_sign_up_answers_alike_whether_or_not_the_contact_has_an_account(
    services: Services, app: Quart
) -> None:
    await sign_up(app.test_client(), services)
    known = await app.test_client().post("/api/auth/register", json=ANA)
    fresh = await app.test_client().post(
        "/api/auth/register", json={**ANA, "phone": "+15550009999"}
    )
    assert known.status_code == fresh.status_code == 202
    assert (await known.get_json()).keys() == (await fresh.get_json()).keys()


async def test_a_wrong_code_says_how_many_tries_are_left(
    services: Services, client: Client
) -> None:
    started = await (await client.post("/api/auth/register", json=ANA)).get_json()
    code = await code_for(services, ANA["phone"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answer = await client.post(
        "/api/auth/register/verify", json={"request_id": started["request_id"], "code": wrong}
    )
    body = await answer.get_json()
    assert answer.status_code == 422 and body["code"] == "CODE_WRONG"
    assert body["details"]["attempts_left"] == 4


async def test_codes_to_one_phone_are_rate_limited(services: Services, client: Client) -> None:
    statuses = [(await client.post("/api/auth/register", json=ANA)).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    sent = await services.read(lambda s: s.scalar(select(func.count(OutboxMessage.id))))
    assert sent == 3


async def test_sign_up_needs_a_phone_or_an_email(client: Client) -> None:
    body = {key: value for key, value in ANA.items() if key != "phone"}
    answer = await client.post("/api/auth/register", json=body)
    assert answer.status_code == 400


async def test_an_invitation_is_claimed_once_and_logs_the_patient_in(
    clinic_day: Clinic, app: Quart
) -> None:
    services, patient = clinic_day.services, clinic_day.other_patient
    sent = await app.test_client().post(
        f"/api/patients/{patient.id}/invite", json={}, headers=clinic_day.headers(Role.STAFF)
    )
    assert sent.status_code == 201 and "link" not in await sent.get_json()
    found = re.search(
        r"/claim/(\S+?)\s", await last_message(services, patient.phone or "", "invite") + " "
    )
    assert found is not None
    link = found.group(1).rstrip(")")
    browser = app.test_client()
    page = await browser.get(f"/claim/{link}")
    assert page.status_code == 200 and "claim-form" in await page.get_data(as_text=True)
    claimed = await browser.post("/api/auth/claim", json={"link": link, "password": PASSWORD})
    assert claimed.status_code == 201
    me = await (await browser.get("/api/auth/me")).get_json()
    assert me["patient_id"] == patient.id
    twice = await app.test_client().post(
        "/api/auth/claim", json={"link": link, "password": PASSWORD}
    )
    assert twice.status_code == 401 and (await twice.get_json())["code"] == "LINK_USED"


async def test_only_the_desk_invites(clinic_day: Clinic, client: Client) -> None:
    answer = await client.post(
        f"/api/patients/{clinic_day.other_patient.id}/invite",
        json={},
        headers=clinic_day.headers(Role.PATIENT),
    )
    assert answer.status_code == 403


async def test_a_reset_ends_the_other_logins_and_sets_the_password(
    services: Services, app: Quart
) -> None:
    other_browser = app.test_client()
    await sign_up(other_browser, services)
    assert (await other_browser.get("/api/auth/me")).status_code == 200
    client = app.test_client()
    started = await client.post("/api/auth/reset", json={"login": "+15550001111"})
    assert started.status_code == 202
    code = await code_for(services, "+15550001111", "reset_code")
    done = await client.post(
        "/api/auth/reset/verify",
        json={
            "request_id": (await started.get_json())["request_id"],
            "code": code,
            "new_password": "another long password",
        },
    )
    assert done.status_code == 200
    assert (await other_browser.get("/api/auth/me")).status_code == 401
    assert (await client.get("/api/auth/me")).status_code == 200
    login = await app.test_client().post(
        "/api/auth/login", json={"username": "+15550001111", "password": "another long password"}
    )
    assert login.status_code == 200


async def test_a_reset_for_an_unknown_login_answers_like_a_known_one(
    services: Services, app: Quart
) -> None:
    await sign_up(app.test_client(), services)
    known = await app.test_client().post("/api/auth/reset", json={"login": "+15550001111"})
    unknown = await app.test_client().post("/api/auth/reset", json={"login": "+15550007777"})
    assert known.status_code == unknown.status_code == 202
    assert (await known.get_json()).keys() == (await unknown.get_json()).keys()


async def test_a_guardian_books_for_a_dependant_that_no_one_else_can_see(
    clinic_day: Clinic, app: Quart
) -> None:
    services = clinic_day.services
    parent = app.test_client()
    _, signed = await sign_up(parent, services)
    added = await parent.post(
        "/api/me/dependants",
        json={"full_name": "Bia Lima", "date_of_birth": "2019-02-03"},
        headers=csrf(signed),
    )
    assert added.status_code == 201
    child = (await added.get_json())["id"]
    people = await (await parent.get("/api/me/patients")).get_json()
    assert [p["full_name"] for p in people["patients"]] == ["Ana Lima", "Bia Lima"]

    slots = await (
        await parent.get(f"/api/slots?department_id={clinic_day.department.id}&date=2030-03-04")
    ).get_json()
    booked = await parent.post(
        "/api/appointments",
        json={"slot_id": slots["slots"][0]["id"], "patient_id": child},
        headers=csrf(signed),
    )
    assert booked.status_code == 201, await booked.get_json()
    ticket = await booked.get_json()
    listed = await (await parent.get(f"/api/appointments?patient_id={child}")).get_json()
    assert [a["token"] for a in listed["appointments"]] == [ticket["token"]]

    stranger = clinic_day.headers(Role.PATIENT)
    seen = await app.test_client().get(f"/api/appointments?patient_id={child}", headers=stranger)
    read = await app.test_client().get(
        f"/api/appointments/{ticket['appointment_id']}", headers=stranger
    )
    cancel = await app.test_client().post(
        f"/api/appointments/{ticket['appointment_id']}/cancel", json={}, headers=stranger
    )
    book = await app.test_client().post(
        "/api/appointments",
        json={"slot_id": slots["slots"][1]["id"], "patient_id": child},
        headers=stranger,
    )
    prefs = await app.test_client().patch(
        f"/api/me/patients/{child}", json={"language": "es"}, headers=stranger
    )
    assert (seen.status_code, read.status_code, cancel.status_code) == (404, 404, 404)
    assert (book.status_code, prefs.status_code) == (403, 404)


async def test_the_same_child_added_twice_is_one_record(services: Services, client: Client) -> None:
    _, signed = await sign_up(client, services)
    child = {"full_name": "Bia Lima", "date_of_birth": "2019-02-03"}
    first = await client.post("/api/me/dependants", json=child, headers=csrf(signed))
    second = await client.post("/api/me/dependants", json=child, headers=csrf(signed))
    assert first.status_code == 201
    assert second.status_code == 409 and (await second.get_json())["code"] == "ALREADY_DEPENDANT"
    assert await count_patients(services) == 2


async def test_a_patient_chooses_the_channel_and_the_language(
    services: Services, client: Client
) -> None:
    _, signed = await sign_up(client, services)
    me = f"/api/me/patients/{signed['patient_id']}"
    changed = await client.patch(
        me, json={"contact_preference": "none", "language": "pt-BR"}, headers=csrf(signed)
    )
    assert changed.status_code == 200
    assert (await changed.get_json())["contact_preference"] == "none"
    no_email = await client.patch(me, json={"contact_preference": "email"}, headers=csrf(signed))
    unknown = await client.patch(me, json={"language": "xx"}, headers=csrf(signed))
    assert (await no_email.get_json())["code"] == "NO_EMAIL" and unknown.status_code == 400
    people = await (await client.get("/api/me/patients")).get_json()
    assert people["patients"][0]["language"] == "pt-BR"


async def test_the_desk_links_a_dependant_that_sign_up_could_not(
    clinic_day: Clinic, app: Quart
) -> None:
    guardian = app.test_client()
    _, signed = await sign_up(guardian, clinic_day.services)
    child = clinic_day.other_patient
    linked = await app.test_client().post(
        f"/api/patients/{child.id}/guardians",
        json={"user_id": signed["user"]["id"]},
        headers=clinic_day.headers(Role.NURSE),
    )
    assert linked.status_code == 201
    people = await (await guardian.get("/api/me/patients")).get_json()
    assert [p["id"] for p in people["patients"]] == [signed["patient_id"], child.id]
    staff_login = await app.test_client().post(
        f"/api/patients/{child.id}/guardians",
        json={"user_id": 10**9},
        headers=clinic_day.headers(Role.NURSE),
    )
    assert staff_login.status_code == 404


async def test_an_invitation_link_that_was_tampered_with_opens_nothing(client: Client) -> None:
    page = await client.get("/claim/not-a-real-link")
    assert page.status_code == 401 and "claim-form" not in await page.get_data(as_text=True)
    answer = await client.post(
        "/api/auth/claim", json={"link": "not-a-real-link", "password": PASSWORD}
    )
    assert answer.status_code == 401 and (await answer.get_json())["code"] == "LINK_INVALID"


async def test_a_patient_signed_up_by_email_logs_in_with_it_in_any_case(
    services: Services, app: Quart
) -> None:
    status, body = await sign_up(
        app.test_client(), services, email="ana@example.org", channel="email"
    )
    assert status == 201 and body["user"]["username"] == "ana@example.org"
    login = await app.test_client().post(
        "/api/auth/login", json={"username": "Ana@Example.org", "password": PASSWORD}
    )
    assert login.status_code == 200
