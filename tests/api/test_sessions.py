"""Logins end on the server: logout, a new password, a deactivation; tokens are revocable."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.actions.accounts import deactivate_user
from server.app import create_app
from server.auth.actor import SYSTEM
from server.auth.web import csrf_token_for
from server.config import DEFAULT_SECRET, Settings
from server.models import AuditEvent, Role, User
from server.services import Services, clinic
from tests.api.conftest import Clinic
from tests.api.test_auth import add_login, login

PASSWORD = "correct horse battery"


def session_cookie(response_headers: object) -> str:
    """Return the `Cookie` header that replays the response's session cookie."""
    for header in response_headers.getlist("Set-Cookie"):  # type: ignore[attr-defined]
        if header.startswith("clinic_session="):
            return header.split(";")[0]
    raise AssertionError("no session cookie was set")


async def logged_in(app: Quart, role: Role = Role.STAFF) -> tuple[str, str]:
    """Log in on a fresh client; return the saved session cookie and the CSRF token."""
    response = await app.test_client().post(
        "/api/auth/login", json={"username": f"login-{role.value}", "password": PASSWORD}
    )
    assert response.status_code == 200
    return session_cookie(response.headers), (await response.get_json())["csrf_token"]


async def me(app: Quart, cookie: str) -> int:
    """Ask who am I with only the given cookie (a fresh client: nothing else remembered)."""
    return (await app.test_client().get("/api/auth/me", headers={"Cookie": cookie})).status_code


async def test_a_cookie_saved_before_logout_is_refused_after_it(
    app: Quart, services: Services
) -> None:
    await add_login(services, Role.STAFF)
    cookie, csrf = await logged_in(app)
    assert await me(app, cookie) == 200
    out = await app.test_client().post(
        "/api/auth/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf}
    )
    assert out.status_code == 200
    assert await me(app, cookie) == 401


async def test_logout_needs_the_csrf_token(app: Quart, services: Services) -> None:
    await add_login(services, Role.STAFF)
    cookie, _ = await logged_in(app)
    forged = await app.test_client().post("/api/auth/logout", headers={"Cookie": cookie})
    assert forged.status_code == 403 and (await forged.get_json())["code"] == "CSRF_FAILED"
    assert await me(app, cookie) == 200  # another site cannot log the user out


async def test_each_login_has_its_own_csrf_token_and_it_dies_with_the_login(
    app: Quart, services: Services, clinic_day: Clinic
) -> None:
    await add_login(services, Role.STAFF)
    first_cookie, first_csrf = await logged_in(app)
    second_cookie, second_csrf = await logged_in(app)
    assert first_csrf != second_csrf
    walk_in = {"patient_id": clinic_day.other_patient.id, "department_id": clinic_day.department.id}
    crossed = await app.test_client().post(
        "/api/walk-ins", json=walk_in, headers={"Cookie": second_cookie, "X-CSRF-Token": first_csrf}
    )
    assert crossed.status_code == 403  # one login's token does not open another's writes
    await app.test_client().post(
        "/api/auth/logout", headers={"Cookie": first_cookie, "X-CSRF-Token": first_csrf}
    )
    dead = await app.test_client().post(
        "/api/walk-ins", json=walk_in, headers={"Cookie": first_cookie, "X-CSRF-Token": first_csrf}
    )
    assert dead.status_code == 401
    assert await me(app, second_cookie) == 200  # the other login goes on


async def test_a_new_password_ends_other_logins_and_tokens_but_not_this_one(
    app: Quart, services: Services
) -> None:
    await add_login(services, Role.STAFF)
    other_cookie, _ = await logged_in(app)
    client = app.test_client()
    _, body = await login(client, "login-staff", PASSWORD)
    csrf = {"X-CSRF-Token": str(body["csrf_token"])}
    token = (await (await client.post("/api/auth/tokens", json={}, headers=csrf)).get_json())[
        "token"
    ]
    wrong = await client.post(
        "/api/auth/password",
        json={"current_password": "not it", "new_password": "a brand new password"},
        headers=csrf,
    )
    assert wrong.status_code == 403
    changed = await client.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new password"},
        headers=csrf,
    )
    assert changed.status_code == 200
    assert await me(app, other_cookie) == 401
    bearer = await app.test_client().get(
        "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 401
    assert (await client.get("/api/auth/me")).status_code == 200  # renewed for this browser
    assert (await login(app.test_client(), "login-staff", "a brand new password"))[0] == 200


async def test_deactivation_ends_logins_and_tokens(
    app: Quart, services: Services, clinic_day: Clinic, client: Client
) -> None:
    user = await add_login(services, Role.STAFF)
    cookie, _ = await logged_in(app)
    await services.run(lambda s: deactivate_user(s, SYSTEM, user_id=user.id, now=services.clock()))
    assert await me(app, cookie) == 401
    actions = await services.read(lambda s: s.scalars(select(AuditEvent.action)))
    assert "user.deactivate" in actions.all()


async def tokens_of(
    client: Client, headers: dict[str, str], **query: int
) -> list[dict[str, object]]:
    response = await client.get("/api/auth/tokens", headers=headers, query_string=query)
    assert response.status_code == 200, await response.get_json()
    return list((await response.get_json())["tokens"])


async def test_a_user_lists_and_revokes_their_own_tokens_only(
    clinic_day: Clinic, client: Client, services: Services
) -> None:
    nurse, staff = clinic_day.headers(Role.NURSE), clinic_day.headers(Role.STAFF)
    made = await client.post("/api/auth/tokens", json={"name": "script"}, headers=nurse)
    second = (await made.get_json())["id"]
    mine = await tokens_of(client, nurse)
    assert [t["name"] for t in mine] == ["api", "script"] and "token" not in mine[0]
    theirs = await tokens_of(client, staff)
    assert second not in [t["id"] for t in theirs]
    refused = await client.delete(f"/api/auth/tokens/{second}", headers=staff)
    assert refused.status_code == 404  # another's token: not even whether it exists
    forbidden = await client.get(
        "/api/auth/tokens", headers=staff, query_string={"user_id": mine[0]["user_id"]}
    )
    assert forbidden.status_code == 403
    first = mine[0]["id"]
    assert (await client.delete(f"/api/auth/tokens/{first}", headers=nurse)).status_code == 204
    assert (await client.get("/api/auth/me", headers=nurse)).status_code == 401  # at once


async def test_an_admin_may_list_and_revoke_anyones_token(
    clinic_day: Clinic, client: Client
) -> None:
    admin, doctor = clinic_day.headers(Role.ADMIN), clinic_day.headers(Role.DOCTOR)
    doctor_id = (await (await client.get("/api/auth/me", headers=doctor)).get_json())["user_id"]
    listed = await tokens_of(client, admin, user_id=doctor_id)
    assert len(listed) == 1
    gone = await client.delete(f"/api/auth/tokens/{listed[0]['id']}", headers=admin)
    assert gone.status_code == 204
    assert (await client.get("/api/auth/me", headers=doctor)).status_code == 401


async def test_an_admin_cookie_forged_with_the_old_default_secret_is_refused(
    database_url: str, engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SECRET_KEY", "CLINIC_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(database_url=database_url, mode="development", var_dir=tmp_path)
    app = create_app(settings)
    async with app.test_app():
        services = clinic(app)
        admin = await add_login(services, Role.ADMIN)
        forger = URLSafeTimedSerializer(
            DEFAULT_SECRET,
            "quart auth salt",
            signer_kwargs={"digest_method": hashlib.sha512},
        )
        client = app.test_client()
        for auth_id in (str(admin.id), "ls_made-up"):
            cookie = f"clinic_session={forger.dumps(auth_id)}"
            # The CSRF token as each version derived it: from the login key, or the user id.
            old_csrf = hmac.new(DEFAULT_SECRET.encode(), f"csrf:{auth_id}".encode(), "sha256")
            csrf = (
                csrf_token_for(DEFAULT_SECRET, auth_id) if "_" in auth_id else old_csrf.hexdigest()
            )
            headers = {"Cookie": cookie, "X-CSRF-Token": csrf}
            who = await client.get("/api/auth/me", headers=headers)
            assert who.status_code == 401, await who.get_json()
            made = await client.post(
                "/api/admin/users",
                json={
                    "username": "mallory",
                    "password": "x" * 12,
                    "role": "admin",
                    "full_name": "M",
                },
                headers=headers,
            )
            assert made.status_code == 401
        users = await services.read(lambda s: s.scalars(select(User.username)))
        assert "mallory" not in users.all()
