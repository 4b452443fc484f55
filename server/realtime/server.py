"""The Socket.IO server in front of the Quart app, and the emitter arq workers use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import socketio
from quart import Quart

from server.auth.web import access
from server.realtime.access import AccessEnder
from server.realtime.collector import tune_collector
from server.realtime.direct import enable_direct_writes
from server.realtime.fanout import Fanout
from server.realtime.link import Link
from server.realtime.live import LiveRooms, Refresher
from server.realtime.managers import DirectSend, DirectSendRedis
from server.realtime.namespaces import namespaces
from server.realtime.sequence import FallbackSequencer, MemorySequencer, RedisSequencer, Sequencer
from server.realtime.snapshots import SnapshotCache
from server.services import Services, clinic

DEFAULT_SCOPE = "clinic"  # Redis pub/sub channels ignore the database number: name them apart


def channel(scope: str) -> str:
    """Name the Redis channel the Socket.IO managers of one deployment share."""
    return f"{scope}:socketio"


def sequencer_for(services: Services, scope: str, link: Link) -> Sequencer:
    """Number rooms through Redis when the app has it (locally while it is down), else here."""
    if services.redis is not None:
        return FallbackSequencer(RedisSequencer(services.redis, prefix=f"{scope}:rt:"), link)
    return MemorySequencer()


@dataclass
class Realtime:
    """The Socket.IO side of one server process: started and stopped by server/runtime.py."""

    sio: socketio.AsyncServer
    manager: DirectSend
    link: Link
    live: LiveRooms
    refresher: Refresher
    scope: str
    # Forgets this process's remembered bearer-token owners (server/auth/cache.py).
    forget_tokens: Callable[[], None] = lambda: None
    fanout: Fanout | None = None

    async def start(self, services: Services) -> None:
        """Number rooms (through Redis when scaled) and publish every commit to the rooms."""
        tune_collector()
        live, link, manager = self.live, self.link, self.manager
        live.sequencer = sequencer_for(services, self.scope, link)
        if isinstance(manager, DirectSendRedis) and services.redis is not None:
            link.probe = services.redis.ping
            link.watch(self._changed)
            manager.on_refresh = self.refresher.request
        self.fanout = Fanout(services, self._emit, live.sequencer, live.cache, manager.emit_many)
        services.hub.subscribe(self.fanout)
        # Revoked keys and ended logins: sockets here at once, the other servers' through Redis.
        ender = AccessEnder(self.sio, self.forget_tokens)
        if isinstance(manager, DirectSendRedis):
            ender.tell_others = manager.end_access
            manager.on_end_access = ender.here
        services.hub.subscribe(ender)

    async def stop(self) -> None:
        """Let every committed change reach the screens, then stop watching Redis."""
        if self.fanout is not None:
            await self.fanout.wait_idle()
        await self.link.close()

    async def _emit(self, event: str, data: dict[str, Any], namespace: str, room: str) -> None:
        await self.sio.emit(event, data, room=room, namespace=namespace)

    async def _changed(self, up: bool) -> None:
        # Numbers change at both ends of an outage: cached data could pass for newer than it is.
        self.live.cache.clear()
        status = self.link.status()
        for namespace in list(self.manager.rooms):
            await DirectSend.emit(self.manager, "status", status, namespace)  # this server's only
        # Every screen here gets the room under the new numbering at once: when Redis goes, so
        # that local updates follow on without a gap; when it is back, with what it missed.
        self.refresher.request()
        if up and isinstance(self.manager, DirectSendRedis):
            await self.manager.ask_refresh()  # and the other servers' (they may have missed ours)


def create_realtime(app: Quart, scope: str = DEFAULT_SCOPE) -> Realtime:
    """Create the Socket.IO server and its namespaces; it publishes once started."""
    services = clinic(app)
    url = services.settings.redis_url
    link = Link()
    manager = DirectSendRedis(url, channel=channel(scope), link=link) if url else DirectSend()
    # Same-origin only (the default): pages are served by this app, never from elsewhere.
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    enable_direct_writes(sio)
    live = LiveRooms(services, MemorySequencer(), SnapshotCache(), link)
    for namespace in namespaces(app, live):
        sio.register_namespace(namespace)
    return Realtime(
        sio,
        manager,
        link,
        live,
        Refresher(live, manager),
        scope,
        forget_tokens=lambda: access(app).actors.clear(),
    )


async def attach_worker_emitter(services: Services, scope: str = DEFAULT_SCOPE) -> Fanout:
    """Publish a worker's committed events to every server's screens through Redis.

    Await the returned fan-out's `wait_idle()` before the worker exits.
    """
    if not services.settings.redis_url or services.redis is None:
        raise RuntimeError("a worker emits through Redis: set REDIS_URL")
    link = Link(probe=services.redis.ping)  # a worker has no screens: it only stops publishing
    manager = DirectSendRedis(
        services.settings.redis_url, channel=channel(scope), write_only=True, link=link
    )

    async def emit(event: str, data: dict[str, Any], namespace: str, room: str) -> None:
        await manager.emit(event, data, namespace=namespace, room=room)

    sequencer = sequencer_for(services, scope, link)
    fanout = Fanout(services, emit, sequencer, SnapshotCache(), emit_many=manager.emit_many)
    services.hub.subscribe(fanout)
    return fanout
