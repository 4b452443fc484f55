"""The Socket.IO server in front of the Quart app, and the emitter arq workers use."""

from __future__ import annotations

from typing import Any

import socketio
from quart import Quart

from server.realtime.collector import tune_collector
from server.realtime.direct import enable_direct_writes
from server.realtime.fanout import Fanout
from server.realtime.link import Link
from server.realtime.live import LiveRooms, Refresher
from server.realtime.managers import DirectSend, DirectSendRedis
from server.realtime.namespaces import namespaces
from server.realtime.sequence import FallbackSequencer, MemorySequencer, RedisSequencer, Sequencer
from server.realtime.snapshots import SnapshotCache
from server.state import ClinicState, clinic

DEFAULT_SCOPE = "clinic"  # Redis pub/sub channels ignore the database number: name them apart


def channel(scope: str) -> str:
    """Name the Redis channel the Socket.IO managers of one deployment share."""
    return f"{scope}:socketio"


def sequencer_for(state: ClinicState, scope: str, link: Link) -> Sequencer:
    """Number rooms through Redis when the app has it (locally while it is down), else here."""
    if state.redis is not None:
        return FallbackSequencer(RedisSequencer(state.redis, prefix=f"{scope}:rt:"), link)
    return MemorySequencer()


def create_socketio(app: Quart, scope: str = DEFAULT_SCOPE) -> socketio.AsyncServer:
    """Create the Socket.IO server and its namespaces; it starts publishing with the app."""
    state = clinic(app)
    url = state.settings.redis_url
    link = Link()
    manager = DirectSendRedis(url, channel=channel(scope), link=link) if url else DirectSend()
    # Same-origin only (the default): pages are served by this app, never from elsewhere.
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    enable_direct_writes(sio)
    live = LiveRooms(state, MemorySequencer(), SnapshotCache(), link)
    refresher = Refresher(live, manager)
    for namespace in namespaces(app, live):
        sio.register_namespace(namespace)

    async def emit(event: str, data: dict[str, Any], namespace: str, room: str) -> None:
        await sio.emit(event, data, room=room, namespace=namespace)

    async def changed(up: bool) -> None:
        # Numbers change at both ends of an outage: cached data could pass for newer than it is.
        live.cache.clear()
        status = link.status()
        for namespace in list(manager.rooms):
            await DirectSend.emit(manager, "status", status, namespace)  # this server's only
        # Every screen here gets the room under the new numbering at once: when Redis goes, so
        # that local updates follow on without a gap; when it is back, with what it missed.
        refresher.request()
        if up:
            await manager.ask_refresh()  # and the other servers' (they may have missed ours)

    async def start(state: ClinicState) -> None:
        tune_collector()
        live.sequencer = sequencer_for(state, scope, link)
        if isinstance(manager, DirectSendRedis) and state.redis is not None:
            link.probe = state.redis.ping
            link.watch(changed)
            manager.on_refresh = refresher.request
        fanout = Fanout(state, emit, live.sequencer, live.cache, emit_many=manager.emit_many)
        await _subscribe(state, fanout)

        async def stop(_state: ClinicState) -> None:
            await link.close()

        state.extras.setdefault("on_stop", []).append(stop)

    state.extras.setdefault("on_start", []).append(start)
    state.extras["live"] = live
    state.extras["link"] = link
    state.extras["refresher"] = refresher
    app.extensions["socketio"] = sio
    return sio


async def attach_worker_emitter(state: ClinicState, scope: str = DEFAULT_SCOPE) -> None:
    """Publish a worker's committed events to every server's screens through Redis."""
    if not state.settings.redis_url or state.redis is None:
        raise RuntimeError("a worker emits through Redis: set REDIS_URL")
    link = Link(probe=state.redis.ping)  # a worker has no screens: it only stops publishing
    manager = DirectSendRedis(
        state.settings.redis_url, channel=channel(scope), write_only=True, link=link
    )

    async def emit(event: str, data: dict[str, Any], namespace: str, room: str) -> None:
        await manager.emit(event, data, namespace=namespace, room=room)

    sequencer = sequencer_for(state, scope, link)
    fanout = Fanout(state, emit, sequencer, SnapshotCache(), emit_many=manager.emit_many)
    await _subscribe(state, fanout)


async def _subscribe(state: ClinicState, fanout: Fanout) -> None:
    state.hub.subscribe(fanout)
    state.extras["fanout"] = fanout

    async def stop(_state: ClinicState) -> None:
        await fanout.wait_idle()  # every committed change reaches the screens before we exit

    state.extras.setdefault("on_stop", []).append(stop)
