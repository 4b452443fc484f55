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
    state = live_server.state

    async def staff_token(session: Any) -> str:
        user = await factories.make_user(session, Role.STAFF)
        return await factories.make_token(session, user)

    token = await state.run(staff_token)
    await desk.connect(live_server.url, {"token": token, "department_id": clinic_day.department_id})
    await desk.join()
    await state.run(
        lambda s: setup.update_doctor(
            s,
            SYSTEM,
            doctor_id=clinic_day.doctor_id,
            changes={"name": "Dr. Renamed"},
            now=state.clock(),
        )
    )
    await settled(state)
    updates = await desk.drain()
    assert [e["kind"] for e in updates[-1]["events"]] == ["setup_changed"]
    assert [d["name"] for d in updates[-1]["data"]["doctors"]] == ["Dr. Renamed"]


async def test_a_hall_board_leaves_out_a_deactivated_department(
    live_server: LiveServer, screens: MakeScreen
) -> None:
    state = live_server.state

    async def work(session: Any) -> tuple[int, int, str]:
        shown = await factories.make_department(session)
        closed = await factories.make_department(session)
        _display, key = await admin.create_display(
            session, SYSTEM, name="Hall", department_id=None, now=state.clock()
        )
        return shown.id, closed.id, key

    shown, closed, key = await state.run(work)
    await state.run(
        lambda s: setup.update_department(
            s, SYSTEM, department_id=closed, changes={"active": False}, now=state.clock()
        )
    )
    board = screens("/board")
    await board.connect(live_server.url, {"key": key})
    hello, _ = await board.join()
    assert hello["rooms"] == [f"department:{shown}"]
