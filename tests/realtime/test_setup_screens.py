"""Set-up changes reach the screens: a renamed doctor at once, a closed department not at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.actions import admin, setup
from server.auth.actor import SYSTEM
from server.models import Role
from tests import factories
from tests.realtime.conftest import ClinicDay, LiveServer, Screen, settled

MakeScreen = Callable[[str], Screen]


async def test_a_renamed_doctor_reaches_the_desk_at_once(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    desk = screens("/desk")
    services = live_server.services

    async def staff_token(db: Any) -> str:
        user = await factories.make_user(db, Role.STAFF)
        return await factories.make_token(db, user)

    token = await services.run(staff_token)
    await desk.connect(live_server.url, {"token": token, "department_id": clinic_day.department_id})
    await desk.join()
    await services.run(
        lambda s: setup.update_doctor(
            s,
            SYSTEM,
            doctor_id=clinic_day.doctor_id,
            changes={"name": "Dr. Renamed"},
            now=services.clock(),
        )
    )
    await settled(services)
    updates = await desk.drain()
    assert [e["kind"] for e in updates[-1]["events"]] == ["setup_changed"]
    assert [d["name"] for d in updates[-1]["data"]["doctors"]] == ["Dr. Renamed"]


async def test_a_hall_board_leaves_out_a_deactivated_department(
    live_server: LiveServer, screens: MakeScreen
) -> None:
    services = live_server.services

    async def work(db: Any) -> tuple[int, int, str]:
        shown = await factories.make_department(db)
        closed = await factories.make_department(db)
        _display, key = await admin.create_display(
            db, SYSTEM, name="Hall", department_id=None, now=services.clock()
        )
        return shown.id, closed.id, key

    shown, closed, key = await services.run(work)
    await services.run(
        lambda s: setup.update_department(
            s, SYSTEM, department_id=closed, changes={"active": False}, now=services.clock()
        )
    )
    board = screens("/board")
    await board.connect(live_server.url, {"key": key})
    hello, _ = await board.join()
    assert hello["rooms"] == [f"department:{shown}"]
