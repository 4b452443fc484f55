"""Broadcasts reach each socket of a room exactly once, and only the sockets of that room."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import socketio

from server.actions import queue
from server.auth.actor import SYSTEM
from server.realtime.managers import DirectSendRedis, batch_message
from tests.realtime.conftest import ClinicDay, LiveServer, Screen, settled
from tests.realtime.test_direct import NAMESPACE, ROOM, harnessed
from tests.services import redis_url

MakeScreen = Callable[[str], Screen]


async def test_every_board_of_a_department_gets_each_update_once(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    boards = [screens("/board") for _ in range(3)]
    for board in boards:
        await board.connect(live_server.url, {"key": clinic_day.display_key})
        await board.join()
    services = live_server.services
    await services.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=clinic_day.doctor_id, now=services.clock())
    )
    await settled(services)
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
    services = live_server.services
    await services.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=clinic_day.doctor_id, now=services.clock())
    )
    await settled(services)
    mine, theirs = [await phone.drain() for phone in phones]
    assert [u["room"] for u in mine] == [f"ticket:{first}"]
    assert mine[0]["data"]["ticket"]["status"] == "called"
    assert [u["room"] for u in theirs] == [f"ticket:{second}"]
    assert theirs[0]["data"]["ticket"]["position"] == 1


class Published:
    """Stands in for a Redis manager's publish: records what would go to the other servers."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


def redis_manager(published: Published) -> DirectSendRedis:
    """Make a Redis manager that never connects: it only publishes, into `published`."""
    manager = DirectSendRedis(redis_url(5), channel="unused", write_only=True)
    manager._publish = published
    return manager


async def test_a_batch_goes_out_here_and_to_the_other_servers_as_one_message() -> None:
    published = Published()
    async with harnessed(redis_manager(published)) as harness:
        conns = [await harness.connect() for _ in range(2)]
        manager = harness.sio.manager
        await manager.emit_many([("update", {"seq": n}, NAMESPACE, ROOM) for n in (1, 2, 3)])
        for conn in conns:
            assert conn.events() == [("update", {"seq": n}) for n in (1, 2, 3)]
        [message] = published.messages
        assert message == batch_message(
            [("update", {"seq": n}, NAMESPACE, ROOM) for n in (1, 2, 3)], manager.host_id
        )


async def test_a_batch_from_another_server_reaches_this_servers_rooms_in_order() -> None:
    async with harnessed(redis_manager(Published())) as harness:
        conn = await harness.connect()
        emissions = [("update", {"seq": n}, NAMESPACE, ROOM) for n in (1, 2)]
        arrived = json.loads(json.dumps(batch_message(emissions, "another server")))
        await harness.sio.manager._handle_emit(arrived)
        assert conn.events() == [("update", {"seq": 1}), ("update", {"seq": 2})]


async def test_a_server_that_knows_no_batches_delivers_one_to_nobody() -> None:
    stock = socketio.AsyncRedisManager(redis_url(5), write_only=True)
    async with harnessed(stock) as harness:
        conn = await harness.connect()
        before = list(conn.written)
        message = batch_message([("update", {"seq": 1}, NAMESPACE, ROOM)], "x")
        await stock._handle_emit(json.loads(json.dumps(message)))
        await asyncio.sleep(0.01)
        assert conn.written == before


async def test_a_reply_to_a_socket_of_this_server_is_not_published() -> None:
    published = Published()
    async with harnessed(redis_manager(published)) as harness:
        conn = await harness.connect()
        await harness.sio.emit("snapshot", {"seq": 1}, to=conn.sid, namespace=NAMESPACE)
        assert conn.events() == [("snapshot", {"seq": 1})]
        assert published.messages == []
        await harness.broadcast({"seq": 2})  # a room: other servers may have members
        assert [m["room"] for m in published.messages] == [ROOM]
