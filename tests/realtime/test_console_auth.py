"""An admin opens a department's console; a browser login that ended opens no socket."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from socketio.exceptions import ConnectionError as SocketRefused

from server.auth.passwords import hash_password
from server.models import Role, User
from tests import factories
from tests.conftest import T0
from tests.realtime.conftest import ClinicDay, LiveServer, Screen

MakeScreen = Callable[[str], Screen]


async def test_an_admin_opens_the_console_of_a_department_they_ask_for(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    async def work(db: object) -> str:
        admin = await factories.make_user(db, Role.ADMIN)  # type: ignore[arg-type]
        return await factories.make_token(db, admin)  # type: ignore[arg-type]

    token = await live_server.services.run(work)  # type: ignore[arg-type]
    console = screens("/console")
    await console.connect(
        live_server.url, {"token": token, "department_id": clinic_day.department_id}
    )
    hello, [snapshot] = await console.join()
    assert hello["rooms"] == [f"department:{clinic_day.department_id}"]
    assert len(snapshot["data"]["tickets"]) == 2  # with names: a console, not a board


async def test_a_socket_is_refused_with_a_cookie_whose_login_ended(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    hashed = await hash_password("correct horse battery")
    async with live_server.services.database() as db, db.begin():
        db.add(
            User(
                username="desk-login",
                password_hash=hashed,
                role=Role.STAFF,
                full_name="Desk",
                created_at=T0,
            )
        )
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        answer = await http.post(
            "/api/auth/login", json={"username": "desk-login", "password": "correct horse battery"}
        )
        cookie = f"clinic_session={answer.cookies['clinic_session']}"
        desk = screens("/desk")
        await desk.connect(live_server.url, {}, headers={"Cookie": cookie})
        await desk.close()
        out = await http.post(
            "/api/auth/logout", headers={"X-CSRF-Token": answer.json()["csrf_token"]}
        )
        assert out.status_code == 200
    again = screens("/desk")
    with pytest.raises(SocketRefused):
        await again.connect(live_server.url, {}, headers={"Cookie": cookie})
    assert again.refusal is not None and again.refusal["code"] == "AUTH_REQUIRED"
