"""Updates after commit: numbered per room, in order, the same as a fresh snapshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.actions import queue
from server.auth.actor import SYSTEM
from server.config import Settings
from server.models import DoctorSession, Role
from server.realtime.direct import TALLY
from server.scheduling import versions
from server.services import Services
from tests import factories
from tests.conftest import Clock
from tests.realtime.conftest import ClinicDay, LiveServer, Screen, open_clinic, serve, settled

MakeScreen = Callable[[str], Screen]


async def call_next(services: Services, day: ClinicDay) -> int:
    """Call the doctor's next patient; return the ticket id."""
    ticket = await services.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=day.doctor_id, now=services.clock())
    )
    await settled(services)
    return ticket.id


def kinds(updates: list[dict[str, Any]]) -> list[str]:
    """List what happened, over several updates, leaving out the re-planner's reorders."""
    return [e["kind"] for u in updates for e in u["events"] if e["kind"] != "resequenced"]


def numbered_from(updates: list[dict[str, Any]], seq: int) -> bool:
    """Tell whether the updates carry the numbers right after `seq`, without a gap."""
    return [u["seq"] for u in updates] == list(range(seq + 1, seq + 1 + len(updates)))


async def test_a_call_reaches_the_board_with_the_room_and_the_next_number(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    board = screens("/board")
    await board.connect(live_server.url, {"key": clinic_day.display_key})
    _hello, [snapshot] = await board.join()
    direct_before = TALLY.direct
    await call_next(live_server.services, clinic_day)
    updates = await board.drain()
    assert numbered_from(updates, snapshot["seq"])
    # An idle board gets the update by a direct write: the queue would also deliver it, so
    # without this the fast path could switch itself off (an engine.io upgrade) unnoticed.
    assert TALLY.direct > direct_before
    assert kinds(updates) == ["called"]
    [called] = updates[-1]["data"]["serving"]
    assert called["status"] == "called" and called["room"]
    assert updates[-1]["data"]["waiting"] == 1
    assert "patient" not in repr(updates)


async def test_updates_come_in_order_and_end_where_a_fresh_screen_starts(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    services = live_server.services
    console = screens("/console")
    await console.connect(live_server.url, {"token": clinic_day.doctor_token})
    _hello, [snapshot] = await console.join()
    first = await call_next(services, clinic_day)
    await services.run(lambda s: queue.start(s, SYSTEM, ticket_id=first, now=services.clock()))
    await services.run(lambda s: queue.complete(s, SYSTEM, ticket_id=first, now=services.clock()))
    await call_next(services, clinic_day)
    await settled(services)
    updates = await console.drain()
    # Batches that commit while one is going out are merged, so there may be fewer than four.
    assert numbered_from(updates, snapshot["seq"])
    assert kinds(updates) == [
        "called",
        "started",
        "completed",
        "called",
    ]
    fresh = screens("/console")
    await fresh.connect(live_server.url, {"token": clinic_day.doctor_token})
    _hello, [now] = await fresh.join()
    assert now["seq"] == updates[-1]["seq"]
    assert now["data"]["tickets"] == updates[-1]["data"]["tickets"]


async def test_a_screen_that_saw_a_gap_gets_a_snapshot_on_resync(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    board = screens("/board")
    await board.connect(live_server.url, {"key": clinic_day.display_key})
    _hello, [old] = await board.join()
    await call_next(live_server.services, clinic_day)
    missed = (await board.drain())[-1]  # say these were lost: the next would show a gap
    await board.client.emit("resync", {"room": old["room"]}, namespace="/board")
    snapshot = await board.next("snapshot")
    assert snapshot["seq"] == missed["seq"]
    assert snapshot["data"]["serving"] == missed["data"]["serving"]


async def test_resync_of_a_room_not_joined_is_an_error(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    board = screens("/board")
    await board.connect(live_server.url, {"key": clinic_day.display_key})
    await board.join()
    await board.client.emit("resync", {"room": "department:999"}, namespace="/board")
    assert (await board.next("error"))["code"] == "FORBIDDEN"


async def test_the_patient_sees_their_turn_come_and_the_room_to_go_to(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    first, second = clinic_day.tickets
    phone = screens("/patient")
    await phone.connect(
        live_server.url, {"token": clinic_day.patient_tokens[1], "ticket_id": second}
    )
    _hello, [snapshot] = await phone.join()
    assert snapshot["data"]["ticket"]["position"] == 2
    await call_next(live_server.services, clinic_day)  # the first patient goes in
    moved = (await phone.drain())[-1]
    assert moved["data"]["ticket"]["position"] == 1 and kinds([moved]) == []
    await call_next_after_first(live_server.services, clinic_day, first)
    await settled(live_server.services)
    updates = await phone.drain()
    assert updates[-1]["data"]["ticket"]["status"] == "called"
    assert updates[-1]["data"]["ticket"]["room"]
    assert kinds(updates) == ["called"]


async def call_next_after_first(services: Services, day: ClinicDay, first: int) -> None:
    """Finish the first patient and call the next."""
    await services.run(lambda s: queue.start(s, SYSTEM, ticket_id=first, now=services.clock()))
    await services.run(lambda s: queue.complete(s, SYSTEM, ticket_id=first, now=services.clock()))
    await call_next(services, day)


async def test_a_restarted_server_numbers_under_a_new_epoch_and_higher(
    settings: Settings, engine: AsyncEngine, clock: Clock, screens: MakeScreen
) -> None:
    seen: list[dict[str, Any]] = []
    day: ClinicDay | None = None
    for _boot in range(2):
        async with serve(settings, clock) as server:
            day = day or await open_clinic(server.services, waiting=1)
            board = screens("/board")
            await board.connect(server.url, {"key": day.display_key})
            _hello, [snapshot] = await board.join()
            seen.append(snapshot)
            await board.close()
    assert seen[0]["epoch"] != seen[1]["epoch"]
    assert seen[1]["seq"] > seen[0]["seq"]
    assert seen[1]["data"]["next"] == seen[0]["data"]["next"]


async def test_a_late_doctor_moves_the_waits_on_every_screen_of_the_department(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    services = live_server.services

    async def desk_login(db: AsyncSession) -> tuple[str, int]:
        user = await factories.make_user(db, Role.STAFF)
        block = await db.scalar(
            select(DoctorSession.id).where(DoctorSession.doctor_id == clinic_day.doctor_id)
        )
        assert block is not None
        return await factories.make_token(db, user), block

    token, session_id = await services.run(desk_login)
    console = screens("/console")
    await console.connect(live_server.url, {"token": clinic_day.doctor_token})
    _hello, [snapshot] = await console.join()
    before = {t["ticket_id"]: t["wait_min"] for t in snapshot["data"]["tickets"]}

    async with httpx.AsyncClient(base_url=live_server.url) as http:
        delayed = await http.post(
            f"/api/admin/sessions/{session_id}/delay",
            json={"delay_minutes": 40},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert delayed.status_code == 200
    await settled(services)
    updates = await console.drain()
    assert numbered_from(updates, snapshot["seq"])
    assert "session_delayed" in kinds(updates)
    after = {t["ticket_id"]: t["wait_min"] for t in updates[-1]["data"]["tickets"]}
    assert after.keys() == before.keys() == set(clinic_day.tickets)
    # Nobody is seen before the doctor arrives, 40 minutes from now.
    assert all(after[t] >= 40 > before[t] for t in clinic_day.tickets)
    plan = await services.read(
        lambda s: versions.current(s, clinic_day.department_id, services.clock().date())
    )
    assert plan is not None and plan.plan_version == plan.version  # re-planned since
