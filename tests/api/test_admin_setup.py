"""The set-up routes: every edit, deactivation and revocation, its refusals, and who may call it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select

from server.models import AuditEvent, Department, Display, Doctor, Role, User
from server.services import Services
from tests.api.conftest import Clinic
from tests.api.test_auth import add_login, login
from tests.api.test_sessions import PASSWORD, logged_in, me
from tests.conftest import T0
from tests.factories import make_department, make_token, make_user

Body = dict[str, Any]


async def call(
    client: Client, c: Clinic, method: str, path: str, body: Any = None, role: Role = Role.ADMIN
) -> tuple[int, Body]:
    response = await client.open(path, method=method, json=body, headers=c.headers(role))
    return response.status_code, await response.get_json()


async def audited(services: Services, action: str) -> list[dict[str, Any]]:
    rows = await services.read(
        lambda s: s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )
    return [row.details for row in rows.all()]


async def bearer_works(client: Client, token: str) -> int:
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


# Who may call them


def setup_routes(app: Quart) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin_setup."):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", "1")
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append((method, path))
    return routes


async def test_every_set_up_route_is_for_admins_only(
    app: Quart, clinic_day: Clinic, client: Client
) -> None:
    routes = setup_routes(app)
    assert len(routes) == 12
    for method, path in routes:
        for role in (Role.DOCTOR, Role.NURSE, Role.STAFF, Role.PATIENT):
            status, body = await call(client, clinic_day, method, path, {"name": "x"}, role)
            assert (status, body["code"]) == (403, "FORBIDDEN"), (method, path, role)
        anonymous = await client.open(path, method=method, json={"name": "x"})
        assert anonymous.status_code == 401, (method, path)


async def test_the_overview_lists_everything_deactivated_included(
    clinic_day: Clinic, client: Client
) -> None:
    doctor = clinic_day.doctor
    status, _ = await call(
        client, clinic_day, "PATCH", f"/api/admin/doctors/{doctor.id}", {"active": False}
    )
    assert status == 200
    status, body = await call(client, clinic_day, "GET", "/api/admin/setup")
    assert status == 200
    (department,) = body["departments"]
    assert department["name"] == clinic_day.department.name and department["active"] is True
    assert department["rooms"] and all(r["active"] for r in department["rooms"])
    assert [(d["id"], d["active"]) for d in body["doctors"]] == [(doctor.id, False)]
    assert {u["role"] for u in body["users"]} == {"admin", "doctor", "nurse", "staff"}
    assert body["displays"] == []


# Departments


async def test_a_department_is_renamed_and_given_new_letters_with_an_audit_row(
    clinic_day: Clinic, client: Client
) -> None:
    path = f"/api/admin/departments/{clinic_day.department.id}"
    status, body = await call(
        client, clinic_day, "PATCH", path, {"name": "Family Medicine", "token_prefix": "FM"}
    )
    assert status == 200, body
    assert (body["name"], body["token_prefix"], body["active"]) == ("Family Medicine", "FM", True)
    (details,) = await audited(clinic_day.services, "department.update")
    assert details["changes"]["name"][1] == "Family Medicine"
    assert details["changes"]["token_prefix"][1] == "FM"
    walk_in = await clinic_day.walk_in()
    assert walk_in.token.startswith("FM-")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "VALIDATION_ERROR"),
        ({"name": None}, 400, "VALIDATION_ERROR"),
        ({"token_prefix": "lower"}, 400, "VALIDATION_ERROR"),
        ({"active": "no"}, 400, "VALIDATION_ERROR"),
        ({"name": "X", "colour": "red"}, 400, "VALIDATION_ERROR"),
        ({"code": "other"}, 409, "DEPARTMENT_EXISTS"),  # "OTHER" taken, whatever its case
        ({"token_prefix": "OT"}, 409, "DEPARTMENT_EXISTS"),
        ({"active": False}, 409, "DEPARTMENT_IN_USE"),  # its doctor is active
    ],
)
async def test_a_bad_department_edit_gets_its_code_and_changes_nothing(
    clinic_day: Clinic, client: Client, body: Body, status: int, code: str
) -> None:
    async with clinic_day.services.database() as db, db.begin():
        await make_department(db, code="OTHER", token_prefix="OT")
    path = f"/api/admin/departments/{clinic_day.department.id}"
    got, payload = await call(client, clinic_day, "PATCH", path, body)
    assert (got, payload["code"]) == (status, code), payload
    row = await clinic_day.services.read(lambda s: s.get(Department, clinic_day.department.id))
    assert row is not None and row.active and row.code == clinic_day.department.code
    assert await audited(clinic_day.services, "department.update") == []


async def test_an_unknown_department_is_404(clinic_day: Clinic, client: Client) -> None:
    got, payload = await call(
        client, clinic_day, "PATCH", "/api/admin/departments/999", {"name": "X"}
    )
    assert (got, payload["code"]) == (404, "DEPARTMENT_NOT_FOUND")


async def test_a_deactivated_department_leaves_the_pickers_and_takes_no_walk_ins(
    clinic_day: Clinic, client: Client
) -> None:
    c = clinic_day
    assert (await call(client, c, "PATCH", f"/api/admin/doctors/{c.doctor.id}", {"active": False}))[
        0
    ] == 200
    status, body = await call(
        client, c, "PATCH", f"/api/admin/departments/{c.department.id}", {"active": False}
    )
    assert (status, body["active"]) == (200, False)
    listed = (await call(client, c, "GET", "/api/departments", role=Role.STAFF))[1]
    assert listed["departments"] == []
    walk_in = {"patient_id": c.other_patient.id, "department_id": c.department.id}
    status, body = await call(client, c, "POST", "/api/walk-ins", walk_in, Role.STAFF)
    assert (status, body["code"]) == (422, "DEPARTMENT_INACTIVE")
    status, body = await call(
        client, c, "PATCH", f"/api/admin/doctors/{c.doctor.id}", {"active": True}
    )
    assert (status, body["code"]) == (422, "DEPARTMENT_INACTIVE")
    # Reactivated, it is back.
    status, _ = await call(
        client, c, "PATCH", f"/api/admin/departments/{c.department.id}", {"active": True}
    )
    assert status == 200
    assert (
        len((await call(client, c, "GET", "/api/departments", role=Role.STAFF))[1]["departments"])
        == 1
    )


# Rooms


async def test_rooms_are_added_renamed_and_deactivated_unless_in_use(
    clinic_day: Clinic, client: Client
) -> None:
    c = clinic_day
    rooms = f"/api/admin/departments/{c.department.id}/rooms"
    status, room = await call(client, c, "POST", rooms, {"name": "Room 9"})
    assert (status, room["name"], room["active"]) == (201, "Room 9", True)
    status, body = await call(client, c, "POST", rooms, {"name": "room 9"})
    assert (status, body["code"]) == (409, "ROOM_EXISTS")
    status, body = await call(client, c, "POST", "/api/admin/departments/999/rooms", {"name": "R"})
    assert (status, body["code"]) == (404, "DEPARTMENT_NOT_FOUND")

    status, body = await call(
        client, c, "PATCH", f"/api/admin/rooms/{room['id']}", {"name": "Room 10"}
    )
    assert (status, body["name"]) == (200, "Room 10")
    status, body = await call(
        client, c, "PATCH", f"/api/admin/rooms/{room['id']}", {"active": False}
    )
    assert (status, body["active"]) == (200, False)
    # A doctor cannot be given the deactivated room.
    status, body = await call(
        client, c, "PATCH", f"/api/admin/doctors/{c.doctor.id}", {"room_id": room["id"]}
    )
    assert (status, body["code"]) == (422, "ROOM_INACTIVE")
    # The doctor's own room is in use: refused, with how many use it.
    status, body = await call(
        client, c, "PATCH", f"/api/admin/rooms/{c.doctor.room_id}", {"active": False}
    )
    assert (status, body["code"]) == (409, "ROOM_IN_USE")
    assert body["details"]["doctors"] == 1
    status, body = await call(client, c, "PATCH", "/api/admin/rooms/999", {"active": False})
    assert (status, body["code"]) == (404, "ROOM_NOT_FOUND")
    assert [d["changes"] for d in await audited(c.services, "room.update")] == [
        {"name": ["Room 9", "Room 10"]},
        {"active": [True, False]},
    ]


# Doctors


async def test_a_doctor_is_edited_and_linked_to_a_login(clinic_day: Clinic, client: Client) -> None:
    c = clinic_day
    async with c.services.database() as db, db.begin():
        login_user = await make_user(db, Role.DOCTOR)
    status, rooms = await call(
        client, c, "POST", f"/api/admin/departments/{c.department.id}/rooms", {"name": "Room 7"}
    )
    assert status == 201
    body = {"name": "Dr. Renamed", "specialty": "Cardiology", "room_id": rooms["id"]}
    status, doctor = await call(client, c, "PATCH", f"/api/admin/doctors/{c.doctor.id}", body)
    assert status == 200, doctor
    assert (doctor["name"], doctor["specialty"], doctor["room_id"]) == (
        "Dr. Renamed",
        "Cardiology",
        rooms["id"],
    )
    # The doctor's login is theirs: another doctor's login is refused, a free one is taken.
    status, body = await call(
        client, c, "PATCH", f"/api/admin/doctors/{c.doctor.id}", {"user_id": login_user.id}
    )
    assert (status, body["user_id"]) == (200, login_user.id)
    async with c.services.database() as db, db.begin():
        other = Doctor(department_id=c.department.id, name="Dr. Other", specialty="")
        db.add(other)
        await db.flush()
        other_id = other.id
    status, body = await call(
        client, c, "PATCH", f"/api/admin/doctors/{other_id}", {"user_id": login_user.id}
    )
    assert (status, body["code"]) == (409, "USER_ALREADY_LINKED")
    public = (await call(client, c, "GET", "/api/doctors", role=Role.PATIENT))[1]["doctors"]
    assert "Dr. Renamed" in {d["name"] for d in public}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"room_id": 999}, 404, "ROOM_NOT_FOUND"),
        ({"user_id": 999}, 404, "USER_NOT_FOUND"),
        ({"name": ""}, 400, "VALIDATION_ERROR"),
        ({"department_id": 1}, 400, "VALIDATION_ERROR"),  # not editable: a new doctor instead
        ({"room_id": "1"}, 400, "VALIDATION_ERROR"),
    ],
)
async def test_a_bad_doctor_edit_gets_its_code(
    clinic_day: Clinic, client: Client, body: Body, status: int, code: str
) -> None:
    got, payload = await call(
        client, clinic_day, "PATCH", f"/api/admin/doctors/{clinic_day.doctor.id}", body
    )
    assert (got, payload["code"]) == (status, code), payload


async def test_a_doctor_with_bookings_is_not_deactivated_until_they_are_moved(
    clinic_day: Clinic, client: Client
) -> None:
    c = clinic_day
    booked = await c.booked()
    await c.walk_in()
    path = f"/api/admin/doctors/{c.doctor.id}"
    status, body = await call(client, c, "PATCH", path, {"active": False})
    assert (status, body["code"]) == (409, "DOCTOR_HAS_BOOKINGS")
    assert body["details"]["bookings"] == 1 and body["details"]["first_at"] is not None
    still = await c.services.read(lambda s: s.get(Doctor, c.doctor.id))
    assert still is not None and still.active

    # The desk cancels the booking; the walk-in waits for any doctor, not this one.
    status, _ = await call(client, c, "POST", f"/api/tickets/{booked.id}/cancel", {}, Role.STAFF)
    assert status == 200
    status, body = await call(client, c, "PATCH", path, {"active": False})
    assert (status, body["active"]) == (200, False), body
    (details,) = await audited(c.services, "doctor.update")
    assert details["changes"] == {"active": [True, False]}

    # Gone from the pickers, the free slots and bookings; history stays.
    doctors = (await call(client, c, "GET", "/api/doctors", role=Role.STAFF))[1]["doctors"]
    assert doctors == []
    day = T0.date().isoformat()
    slots = await call(client, c, "GET", f"/api/slots?department_id={c.department.id}&date={day}")
    assert slots[1]["slots"] == []
    book = {
        "patient_id": c.patient.id,
        "doctor_id": c.doctor.id,
        "starts_at": (T0 + timedelta(hours=2)).isoformat(),
    }
    status, body = await call(client, c, "POST", "/api/appointments", book, Role.STAFF)
    assert (status, body["code"]) == (422, "DOCTOR_INACTIVE")
    status, body = await call(client, c, "GET", f"/api/tickets/{booked.id}", role=Role.STAFF)
    assert status == 200


# Users


async def test_a_deactivated_users_cookie_and_cached_token_stop_at_once(
    app: Quart, clinic_day: Clinic, client: Client, services: Services
) -> None:
    user = await add_login(services, Role.STAFF)
    cookie, _ = await logged_in(app)
    async with services.database() as db, db.begin():
        token = await make_token(db, await db.get(User, user.id))  # type: ignore[arg-type]
    assert await bearer_works(client, token) == 200  # the owner is now remembered
    status, body = await call(
        client, clinic_day, "PATCH", f"/api/admin/users/{user.id}", {"active": False}
    )
    assert (status, body["active"]) == (200, False)
    assert await me(app, cookie) == 401
    assert await bearer_works(client, token) == 401
    assert (await login(app.test_client(), "login-staff", PASSWORD))[0] == 401
    (details,) = await audited(services, "user.update")
    assert details["logins_ended"] is True
    # Reactivated, the user logs in again (the old login and token stay ended).
    status, _ = await call(
        client, clinic_day, "PATCH", f"/api/admin/users/{user.id}", {"active": True}
    )
    assert status == 200
    assert await bearer_works(client, token) == 401
    assert (await login(app.test_client(), "login-staff", PASSWORD))[0] == 200


async def test_a_password_reset_ends_logins_and_tokens_and_the_new_one_works(
    app: Quart, clinic_day: Clinic, client: Client, services: Services
) -> None:
    user = await add_login(services, Role.NURSE)
    cookie, _ = await logged_in(app, Role.NURSE)
    async with services.database() as db, db.begin():
        token = await make_token(db, await db.get(User, user.id))  # type: ignore[arg-type]
    assert await bearer_works(client, token) == 200
    path = f"/api/admin/users/{user.id}/password"
    status, body = await call(client, clinic_day, "POST", path, {"password": "short"})
    assert (status, body["code"]) == (400, "VALIDATION_ERROR")
    status, body = await call(
        client, clinic_day, "POST", path, {"password": "a fresh long password"}
    )
    assert status == 200, body
    assert await me(app, cookie) == 401
    assert await bearer_works(client, token) == 401
    assert (await login(app.test_client(), "login-nurse", PASSWORD))[0] == 401
    assert (await login(app.test_client(), "login-nurse", "a fresh long password"))[0] == 200
    assert await audited(services, "user.password_reset") == [{"user_id": user.id}]


async def test_ending_logins_keeps_tokens_and_revoking_tokens_keeps_logins(
    app: Quart, clinic_day: Clinic, client: Client, services: Services
) -> None:
    user = await add_login(services, Role.STAFF)
    cookie, _ = await logged_in(app)
    async with services.database() as db, db.begin():
        token = await make_token(db, await db.get(User, user.id))  # type: ignore[arg-type]
    assert await bearer_works(client, token) == 200
    status, body = await call(client, clinic_day, "POST", f"/api/admin/users/{user.id}/logout")
    assert (status, body) == (200, {"user_id": user.id, "ended": 1})
    assert await me(app, cookie) == 401
    assert await bearer_works(client, token) == 200

    cookie, _ = await logged_in(app)
    status, body = await call(client, clinic_day, "DELETE", f"/api/admin/users/{user.id}/tokens")
    assert (status, body) == (200, {"user_id": user.id, "revoked": 1})
    assert await bearer_works(client, token) == 401
    assert await me(app, cookie) == 200
    assert await audited(services, "user.tokens_revoke") == [{"user_id": user.id, "revoked": 1}]


async def test_a_new_role_ends_the_users_tokens(clinic_day: Clinic, client: Client) -> None:
    c = clinic_day
    nurse = await c.services.read(lambda s: s.scalar(select(User).where(User.role == Role.NURSE)))
    assert nurse is not None
    assert await bearer_works(client, c.tokens[Role.NURSE]) == 200
    status, body = await call(
        client, c, "PATCH", f"/api/admin/users/{nurse.id}", {"role": "staff", "language": "pt-BR"}
    )
    assert (status, body["role"], body["language"]) == (200, "staff", "pt-BR")
    assert await bearer_works(client, c.tokens[Role.NURSE]) == 401


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("self", {"active": False}, 409, "OWN_ACCOUNT"),
        ("self", {"role": "staff"}, 409, "OWN_ACCOUNT"),
        ("patient", {"role": "staff"}, 422, "ROLE_FIXED"),
        ("nurse", {"role": "patient"}, 422, "ROLE_FIXED"),
        ("doctor", {"role": "nurse"}, 409, "DOCTOR_LINKED"),
        ("nurse", {"language": "fr"}, 400, "VALIDATION_ERROR"),
        ("nurse", {"role": "boss"}, 400, "VALIDATION_ERROR"),
        ("nurse", {"username": "renamed"}, 400, "VALIDATION_ERROR"),
        ("nobody", {"active": False}, 404, "USER_NOT_FOUND"),
    ],
)
async def test_a_bad_user_edit_gets_its_code_and_ends_nothing(
    clinic_day: Clinic, client: Client, who: str, body: Body, status: int, code: str
) -> None:
    c = clinic_day
    roles = {
        "self": Role.ADMIN,
        "patient": Role.PATIENT,
        "nurse": Role.NURSE,
        "doctor": Role.DOCTOR,
    }
    if who == "nobody":
        user_id = 999
    else:
        found = await c.services.read(
            lambda s: s.scalar(select(User.id).where(User.role == roles[who]))
        )
        assert found is not None
        user_id = found
    got, payload = await call(client, c, "PATCH", f"/api/admin/users/{user_id}", body)
    assert (got, payload["code"]) == (status, code), payload
    for role in Role:
        assert await bearer_works(client, c.tokens[role]) == 200


async def test_an_admin_does_not_lock_themselves_out(clinic_day: Clinic, client: Client) -> None:
    c = clinic_day
    me_id = (await call(client, c, "GET", "/api/auth/me"))[1]["user_id"]
    for method, suffix, body in (
        ("POST", "/password", {"password": "long enough password"}),
        ("POST", "/logout", None),
        ("DELETE", "/tokens", None),
    ):
        status, payload = await call(client, c, method, f"/api/admin/users/{me_id}{suffix}", body)
        assert (status, payload["code"]) == (409, "OWN_ACCOUNT")
    assert await bearer_works(client, c.tokens[Role.ADMIN]) == 200


# Displays


async def make_display(c: Clinic, client: Client, name: str = "Hall") -> Body:
    status, body = await call(
        client, c, "POST", "/api/admin/displays", {"name": name, "department_id": c.department.id}
    )
    assert status == 201, body
    return body


async def test_a_display_is_edited_revoked_and_given_a_new_key(
    clinic_day: Clinic, client: Client
) -> None:
    c = clinic_day
    made = await make_display(c, client)
    await make_display(c, client, "Lobby")
    path = f"/api/admin/displays/{made['id']}"
    body = {"name": "Main hall", "department_id": None, "language": "pt-BR", "speech": False}
    status, edited = await call(client, c, "PATCH", path, body)
    assert status == 200, edited
    assert edited == {**body, "id": made["id"], "active": True}
    status, payload = await call(client, c, "PATCH", path, {"name": "LOBBY"})
    assert (status, payload["code"]) == (409, "DISPLAY_EXISTS")
    status, payload = await call(client, c, "PATCH", path, {"department_id": 999})
    assert (status, payload["code"]) == (404, "DEPARTMENT_NOT_FOUND")

    status, revoked = await call(client, c, "POST", f"{path}/revoke")
    assert (status, revoked["active"]) == (200, False)
    status, payload = await call(client, c, "POST", f"{path}/revoke")
    assert (status, payload["code"]) == (409, "DISPLAY_REVOKED")
    row = await c.services.read(lambda s: s.get(Display, made["id"]))
    assert row is not None and not row.active

    status, renewed = await call(client, c, "POST", f"{path}/key")
    assert status == 200
    assert renewed["key"].startswith("dk_") and renewed["key"] != made["key"]
    assert renewed["url"].endswith(f"/board?key={renewed['key']}")
    status, payload = await call(client, c, "POST", "/api/admin/displays/999/key")
    assert (status, payload["code"]) == (404, "DISPLAY_NOT_FOUND")
    for action in ("display.update", "display.revoke", "display.key"):
        assert await audited(c.services, action), action
