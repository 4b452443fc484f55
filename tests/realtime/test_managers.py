"""Broadcasts reach each socket of a room exactly once, and only the sockets of that room."""

from __future__ import annotations

from collections.abc import Callable

from server.actions import queue
from server.auth.actor import SYSTEM
from tests.realtime.conftest import ClinicDay, LiveServer, Screen, settled

MakeScreen = Callable[[str], Screen]


async def test_every_board_of_a_department_gets_each_update_once(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    boards = [screens("/board") for _ in range(3)]
    for board in boards:
        await board.connect(live_server.url, {"key": clinic_day.display_key})
        await board.join()
    state = live_server.state
    await state.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=clinic_day.doctor_id, now=state.clock())
    )
    await settled(state)
    seen = [await board.drain() for board in boards]
    assert all(len(updates) == 1 for updates in seen)
    assert seen[0] == seen[1] == seen[2]


async def test_a_phone_gets_its_own_ticket_and_no_one_elses(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    first, second = clinic_day.tickets
    phones = [screens("/patient"), screens("/patient")]
    tokens = clinic_day.patient_tokens
    for phone, ticket, token in zip(phones, (first, second), tokens, strict=True):
        await phone.connect(live_server.url, {"token": token, "ticket_id": ticket})
        await phone.join()
    state = live_server.state
    await state.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=clinic_day.doctor_id, now=state.clock())
    )
    await settled(state)
    mine, theirs = [await phone.drain() for phone in phones]
    assert [u["room"] for u in mine] == [f"ticket:{first}"]
    assert mine[0]["data"]["ticket"]["status"] == "called"
    assert [u["room"] for u in theirs] == [f"ticket:{second}"]
    assert theirs[0]["data"]["ticket"]["position"] == 1
