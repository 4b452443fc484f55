"""A revoked display key or an ended login disconnects its screens at once, on every server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import socketio
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.config import Settings
from server.events import EventKind, QueueEvent
from server.models import Display, Role
from server.realtime.access import ended_holders
from tests import factories
from tests.conftest import Clock
from tests.realtime.conftest import WAIT_S, ClinicDay, LiveServer, Screen, open_clinic, serve
from tests.services import redis_url

MakeScreen = Callable[[str], Screen]
REDIS_URL = redis_url(6)


def watch_disconnect(screen: Screen) -> asyncio.Event:
    """Return an event set when the server disconnects the screen."""
    gone = asyncio.Event()

    async def disconnected(*_reason: Any) -> None:
        gone.set()

    screen.client.on("disconnect", disconnected, namespace=screen.namespace)
    return gone


async def admin_token(server: LiveServer) -> str:
    async def work(db: Any) -> str:
        return await factories.make_token(db, await factories.make_user(db, Role.ADMIN))

    return await server.services.run(work)


async def post(server: LiveServer, token: str, path: str, body: Any = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        method = "PATCH" if body is not None else "POST"
        return await http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}"}
        )


async def board_on(
    server: LiveServer, screens: MakeScreen, key: str
) -> tuple[Screen, asyncio.Event]:
    board = screens("/board")
    await board.connect(server.url, {"key": key})
    await board.join()
    return board, watch_disconnect(board)


def test_only_access_ended_events_name_holders() -> None:
    def event(kind: EventKind, **extra: int) -> QueueEvent:
        return QueueEvent(kind, 0, "2030-03-04", 0, "", "", "", extra=dict(extra))

    events = [
        event(EventKind.ACCESS_ENDED, display_id=3),
        event(EventKind.ACCESS_ENDED, user_id=7),
        event(EventKind.ACCESS_ENDED, display_id=3),
        event(EventKind.SETUP_CHANGED, display_id=9),
    ]
    assert ended_holders(events) == ["display:3", "user:7"]


async def test_a_revoked_key_disconnects_its_board_and_it_cannot_come_back(
    live_server: LiveServer, screens: MakeScreen
) -> None:
    day: ClinicDay = await open_clinic(live_server.services)
    _board, gone = await board_on(live_server, screens, day.display_key)
    _other_board, other_gone = await board_on(live_server, screens, day.display_key)
    token = await admin_token(live_server)
    display_id = await _display_id(live_server)

    answer = await post(live_server, token, f"/api/admin/displays/{display_id}/revoke")
    assert answer.status_code == 200, answer.text
    await asyncio.wait_for(gone.wait(), WAIT_S)  # before the answer, in fact: no waiting
    await asyncio.wait_for(other_gone.wait(), WAIT_S)

    again = screens("/board")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(live_server.url, {"key": day.display_key})
    assert again.refusal is not None and again.refusal["code"] == "DISPLAY_KEY_INVALID"

    # A new key opens the board again; the old one stays refused.
    answer = await post(live_server, token, f"/api/admin/displays/{display_id}/key")
    assert answer.status_code == 200, answer.text
    fresh, _ = await board_on(live_server, screens, answer.json()["key"])
    assert fresh.client.connected


async def _display_id(server: LiveServer) -> int:
    found = await server.services.read(lambda s: s.scalar(select(Display.id)))
    assert found is not None
    return int(found)


async def test_an_edited_board_reconnects_with_its_new_settings(
    live_server: LiveServer, screens: MakeScreen
) -> None:
    day = await open_clinic(live_server.services)
    _board, gone = await board_on(live_server, screens, day.display_key)
    token = await admin_token(live_server)
    display_id = await _display_id(live_server)
    answer = await post(
        live_server, token, f"/api/admin/displays/{display_id}", {"language": "pt-BR"}
    )
    assert answer.status_code == 200, answer.text
    await asyncio.wait_for(gone.wait(), WAIT_S)
    again = screens("/board")
    await again.connect(live_server.url, {"key": day.display_key})
    hello, _ = await again.join()
    assert hello["display"]["language"] == "pt-BR"


async def test_a_deactivated_doctors_console_is_disconnected(
    live_server: LiveServer, screens: MakeScreen
) -> None:
    day = await open_clinic(live_server.services)
    console = screens("/console")
    await console.connect(live_server.url, {"token": day.doctor_token})
    hello, _ = await console.join()
    gone = watch_disconnect(console)
    user_id = hello["user"]["id"]
    token = await admin_token(live_server)
    answer = await post(live_server, token, f"/api/admin/users/{user_id}", {"active": False})
    assert answer.status_code == 200, answer.text
    await asyncio.wait_for(gone.wait(), WAIT_S)
    again = screens("/console")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(live_server.url, {"token": day.doctor_token})
    assert again.refusal is not None and again.refusal["code"] == "TOKEN_INVALID"


@pytest.fixture
async def two_servers(
    settings: Settings, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    """Run two in-process servers on one database, sharing rooms through Redis."""
    scope = f"test-{uuid.uuid4().hex[:8]}"
    scaled = settings.model_copy(update={"redis_url": REDIS_URL})
    async with serve(scaled, clock, scope) as first, serve(scaled, clock, scope) as second:
        yield first, second
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(f"{scope}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def listening(server: LiveServer) -> None:
    """Wait until the server's Socket.IO manager listens on Redis (from its first socket on)."""
    realtime = server.runtime.realtime
    assert realtime is not None
    manager: Any = realtime.manager
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while getattr(manager, "pubsub", None) is None or not manager.pubsub.subscribed:
        assert loop.time() < deadline, "the server never subscribed to its Redis channel"
        await asyncio.sleep(0.01)


@pytest.mark.redis
async def test_a_key_revoked_on_one_server_disconnects_the_board_on_another(
    two_servers: tuple[LiveServer, LiveServer], screens: MakeScreen
) -> None:
    first, second = two_servers
    day = await open_clinic(first.services)
    _board, gone = await board_on(second, screens, day.display_key)
    token = await admin_token(first)
    # The second server remembers the admin's token too: it must forget it when told.
    async with httpx.AsyncClient(base_url=second.url) as http:
        seen = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert seen.status_code == 200
    display_id = await _display_id(first)
    answer = await post(first, token, f"/api/admin/displays/{display_id}/revoke")
    assert answer.status_code == 200, answer.text
    await asyncio.wait_for(gone.wait(), WAIT_S)
    again = screens("/board")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(second.url, {"key": day.display_key})
    assert again.refusal is not None and again.refusal["code"] == "DISPLAY_KEY_INVALID"


@pytest.mark.redis
async def test_a_user_deactivated_on_one_server_is_forgotten_by_another(
    two_servers: tuple[LiveServer, LiveServer], screens: MakeScreen
) -> None:
    first, second = two_servers
    day = await open_clinic(first.services)
    console = screens("/console")
    await console.connect(second.url, {"token": day.doctor_token})
    hello, _ = await console.join()
    gone = watch_disconnect(console)
    await listening(second)
    headers = {"Authorization": f"Bearer {day.doctor_token}"}
    async with httpx.AsyncClient(base_url=second.url) as http:
        assert (await http.get("/api/auth/me", headers=headers)).status_code == 200  # remembered
    token = await admin_token(first)
    user_id = hello["user"]["id"]
    answer = await post(first, token, f"/api/admin/users/{user_id}", {"active": False})
    assert answer.status_code == 200, answer.text
    await asyncio.wait_for(gone.wait(), WAIT_S)
    # The disconnect came with the message that made the second server forget the token.
    async with httpx.AsyncClient(base_url=second.url) as http:
        assert (await http.get("/api/auth/me", headers=headers)).status_code == 401
