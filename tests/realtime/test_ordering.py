"""A room's updates reach this server's screens in number order, whoever published them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from server.actions import queue
from server.auth.actor import SYSTEM
from server.realtime.fanout import Fanout
from server.realtime.link import Link
from server.realtime.managers import DirectSendRedis
from server.realtime.ordering import Emission, InOrder
from server.realtime.server import channel, sequencer_for
from server.realtime.snapshots import SnapshotCache
from server.services import make_services
from tests.realtime.conftest import LiveServer, Screen, open_clinic, settled
from tests.realtime.test_scale_out import (  # noqa: F401 (fixtures)
    REDIS_URL,
    redis_server,
    scope,
)
from tests.realtime.test_updates import numbered_from

MakeScreen = Callable[[str], Screen]


def update(seq: int, epoch: str = "e", room: str = "department:1") -> Emission:
    """Make one numbered update of a board room."""
    return ("update", {"epoch": epoch, "seq": seq}, "/board", room)


class Delivered:
    """Records what InOrder hands on, in order."""

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.arrived = asyncio.Event()  # set on every delivery

    async def __call__(self, emissions: list[Emission]) -> None:
        self.seqs += [data["seq"] for _event, data, _ns, _room in emissions]
        self.arrived.set()


async def test_an_update_ahead_of_a_missing_number_waits_for_it() -> None:
    delivered = Delivered()
    order = InOrder(delivered)
    await order([update(1)])
    await order([update(3), update(4)])
    assert delivered.seqs == [1]
    await order([update(2)])
    assert delivered.seqs == [1, 2, 3, 4]
    assert order.pending() == 0


async def test_held_updates_go_out_when_the_missing_number_never_comes() -> None:
    delivered = Delivered()
    order = InOrder(delivered, window_s=0.05)
    await order([update(1), update(3)])
    assert delivered.seqs == [1]
    delivered.arrived.clear()
    await asyncio.wait_for(delivered.arrived.wait(), 5)  # only the window's end can send it
    assert delivered.seqs == [1, 3]  # screens see the gap and resync, as before
    await order([update(4)])
    assert delivered.seqs == [1, 3, 4]


async def test_a_new_numbering_old_news_and_other_events_pass_at_once() -> None:
    delivered = Delivered()
    order = InOrder(delivered)
    await order([update(5), update(9, epoch="f"), update(3, epoch="f"), update(1, room="x")])
    assert delivered.seqs == [5, 9, 3, 1]
    other = ("status", {"state": "degraded"}, "/board", "department:1")
    seen: list[Emission] = []

    async def record(emissions: list[Emission]) -> None:
        seen.extend(emissions)

    await InOrder(record)([other])
    assert seen == [other]


async def test_a_workers_late_update_does_not_make_screens_resync(
    redis_server: LiveServer,  # noqa: F811 (the fixtures imported above)
    screens: MakeScreen,
    scope: str,  # noqa: F811
) -> None:
    server = redis_server
    day = await open_clinic(server.services, waiting=3)
    board = screens("/board")
    await board.connect(server.url, {"key": day.display_key})
    _hello, [snapshot] = await board.join()

    redis = Redis.from_url(REDIS_URL)
    worker = make_services(server.services.settings, redis=redis, clock=server.services.clock)
    engine = worker.engine
    link = Link(probe=redis.ping)
    manager = DirectSendRedis(REDIS_URL, channel=channel(scope), write_only=True, link=link)
    took_number, server_went_first = asyncio.Event(), asyncio.Event()

    async def slow_publish(emissions: list[Any]) -> None:
        # The worker took its number and read the database; its publish is still on the way.
        took_number.set()
        await server_went_first.wait()
        await manager.emit_many(emissions)

    async def unused(*_args: Any) -> None:
        raise AssertionError("batches go through emit_many")

    sequencer = sequencer_for(worker, scope, link)
    fanout = Fanout(worker, unused, sequencer, SnapshotCache(), emit_many=slow_publish)
    worker.hub.subscribe(fanout)

    services = server.services
    # A worker's action, then (while its publish is on the way) the server's own.
    await worker.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=day.doctor_id, now=services.clock())
    )
    await took_number.wait()
    await services.run(
        lambda s: queue.recall(s, SYSTEM, ticket_id=day.tickets[0], now=services.clock())
    )
    # The server's own update (the next number) is out, or held here waiting for the worker's.
    here = server.runtime.realtime.refresher.manager
    for _ in range(200):
        if board.inbox.qsize() or getattr(here.in_order, "pending", lambda: 0)():
            break
        await asyncio.sleep(0.01)
    server_went_first.set()
    await settled(services)
    await fanout.wait_idle()
    updates = await board.drain(seconds=0.8)
    assert numbered_from(updates, snapshot["seq"])  # no gap: nobody resyncs
    assert len(updates) == 2
    await redis.aclose()
    await engine.dispose()
