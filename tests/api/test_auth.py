"""Logging in, cookies with CSRF, bearer tokens, rate limits, and patients' privacy."""

from __future__ import annotations

from datetime import timedelta

from quart.typing import TestClientProtocol as Client

from server.auth.passwords import hash_password
from server.models import Role, User
from server.services import Services
from tests.api.conftest import Clinic
from tests.conftest import T0


async def add_login(
    services: Services, role: Role, password: str = "correct horse battery"
) -> User:
    hashed = await hash_password(password)
    async with services.database() as db, db.begin():
        user = User(
            username=f"login-{role.value}",
            password_hash=hashed,
            role=role,
            full_name="Login Test",
            created_at=T0,
        )
        db.add(user)
    return user


async def login(client: Client, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": password}
    )
    return response.status_code, await response.get_json()


async def test_login_sets_a_cookie_that_opens_the_api(services: Services, client: Client) -> None:
    await add_login(services, Role.STAFF)
    status, body = await login(client, "login-staff", "correct horse battery")
    assert status == 200 and body["user"]["role"] == "staff"  # type: ignore[index]
    me = await client.get("/api/auth/me")
    assert me.status_code == 200 and (await me.get_json())["role"] == "staff"


async def test_a_wrong_password_says_nothing_about_which_part_was_wrong(
    services: Services, client: Client
) -> None:
    await add_login(services, Role.STAFF)
    wrong_password = await login(client, "login-staff", "nope")
    unknown_user = await login(client, "nobody", "nope")
    assert wrong_password == unknown_user
    assert wrong_password[0] == 401 and wrong_password[1]["code"] == "BAD_CREDENTIALS"


async def test_repeated_failures_lock_the_login_for_a_while(
    services: Services, client: Client
) -> None:
    await add_login(services, Role.STAFF)
    codes = [(await login(client, "login-staff", f"guess {i}"))[1]["code"] for i in range(6)]
    assert codes[:5] == ["BAD_CREDENTIALS"] * 5 and codes[5] == "RATE_LIMITED"
    status, body = await login(client, "login-staff", "correct horse battery")
    assert (status, body["code"]) == (429, "RATE_LIMITED")


async def test_cookie_writes_need_the_csrf_header(
    clinic_day: Clinic, services: Services, client: Client
) -> None:
    await add_login(services, Role.STAFF)
    _, body = await login(client, "login-staff", "correct horse battery")
    request = {"patient_id": clinic_day.other_patient.id, "department_id": clinic_day.department.id}
    refused = await client.post("/api/walk-ins", json=request)
    assert refused.status_code == 403 and (await refused.get_json())["code"] == "CSRF_FAILED"
    accepted = await client.post(
        "/api/walk-ins", json=request, headers={"X-CSRF-Token": str(body["csrf_token"])}
    )
    assert accepted.status_code == 201


async def test_logout_closes_the_session(services: Services, client: Client) -> None:
    await add_login(services, Role.NURSE)
    _, body = await login(client, "login-nurse", "correct horse battery")
    await client.post("/api/auth/logout", headers={"X-CSRF-Token": str(body["csrf_token"])})
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_a_bearer_token_made_after_login_works_without_cookies(
    services: Services, client: Client, app: object
) -> None:
    await add_login(services, Role.DOCTOR)
    _, body = await login(client, "login-doctor", "correct horse battery")
    made = await client.post(
        "/api/auth/tokens",
        json={"name": "console"},
        headers={"X-CSRF-Token": str(body["csrf_token"])},
    )
    token = (await made.get_json())["token"]
    fresh = app.test_client()  # type: ignore[attr-defined]
    me = await fresh.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and (await me.get_json())["role"] == "doctor"


async def test_an_unknown_or_expired_token_is_refused(clinic_day: Clinic, client: Client) -> None:
    response = await client.get("/api/auth/me", headers={"Authorization": "Bearer cq_made-up"})
    assert response.status_code == 401 and (await response.get_json())["code"] == "TOKEN_INVALID"
    clinic_day.services.clock.advance(days=2)  # type: ignore[attr-defined]
    expired = await client.get("/api/auth/me", headers=clinic_day.headers(Role.STAFF))
    assert expired.status_code == 401


async def test_a_patient_sees_their_own_ticket_but_not_anothers(
    clinic_day: Clinic, client: Client
) -> None:
    mine = await clinic_day.booked(clinic_day.patient)
    theirs = await clinic_day.walk_in(clinic_day.other_patient)
    own = await client.get(f"/api/tickets/{mine.id}", headers=clinic_day.headers(Role.PATIENT))
    other = await client.get(f"/api/tickets/{theirs.id}", headers=clinic_day.headers(Role.PATIENT))
    assert own.status_code == 200 and (await own.get_json())["ticket"]["token"] == mine.token
    assert other.status_code == 404  # not even whether it exists
    appointment = await client.get(
        f"/api/appointments/{theirs.appointment_id}", headers=clinic_day.headers(Role.PATIENT)
    )
    assert appointment.status_code == 404


async def test_a_patient_cannot_book_or_cancel_for_someone_else(
    clinic_day: Clinic, client: Client
) -> None:
    starts = (T0 + timedelta(hours=1)).isoformat()
    booked = await client.post(
        "/api/appointments",
        json={
            "patient_id": clinic_day.other_patient.id,
            "doctor_id": clinic_day.doctor.id,
            "starts_at": starts,
        },
        headers=clinic_day.headers(Role.PATIENT),
    )
    assert booked.status_code == 403
    theirs = await clinic_day.booked(clinic_day.other_patient)
    cancel = await client.post(
        f"/api/appointments/{theirs.appointment_id}/cancel",
        json={},
        headers=clinic_day.headers(Role.PATIENT),
    )
    assert cancel.status_code == 404


async def test_a_patient_books_for_themselves_and_gets_a_token_and_a_live_link(
    clinic_day: Clinic, client: Client
) -> None:
    starts = (T0 + timedelta(hours=1)).isoformat()
    response = await client.post(
        "/api/appointments",
        json={"doctor_id": clinic_day.doctor.id, "starts_at": starts},
        headers=clinic_day.headers(Role.PATIENT),
    )
    body = await response.get_json()
    assert response.status_code == 201 and body["patient_id"] == clinic_day.patient.id
    assert body["token"].endswith("-001") and body["live_link"].startswith("http://clinic.test/t/")
    listed = await (
        await client.get("/api/appointments", headers=clinic_day.headers(Role.PATIENT))
    ).get_json()
    assert [a["token"] for a in listed["appointments"]] == [body["token"]]
