"""A live server (uvicorn on a free port) and Socket.IO screen clients, for any test to reuse."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.asgi import add_sockets
from server.config import Settings
from server.jobs import InProcessJobs
from server.runtime import Runtime, runtime_of
from server.services import Services, clinic
from tests.conftest import Clock

WAIT_S = 5.0


@dataclass
class LiveServer:
    """A running server: its base URL, its shared state and the rest of its runtime."""

    url: str
    services: Services
    runtime: Runtime


# The runtimes of the servers running now, by id of their state (for `settled`).
SERVED: dict[int, Runtime] = {}


@asynccontextmanager
async def serve(settings: Settings, clock: Clock, scope: str = "test") -> AsyncIterator[LiveServer]:
    """Run the whole ASGI app under uvicorn on a free port until the generator is closed."""
    app = create_app(settings)
    clinic(app).clock = clock
    sio = add_sockets(app, scope=scope)
    config = uvicorn.Config(
        socketio.ASGIApp(sio, other_asgi_app=app),
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    SERVED[id(clinic(app))] = runtime_of(app)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", clinic(app), runtime_of(app))
    finally:
        SERVED.pop(id(clinic(app)), None)
        server.should_exit = True
        await task


@pytest.fixture
async def live_server(
    settings: Settings, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[LiveServer]:
    """Yield a live server on the emptied test database, at T0, embedded (no Redis)."""
    async with serve(settings, clock) as server:
        yield server


@dataclass
class Screen:
    """One Socket.IO client on one namespace that records what it receives, in order."""

    namespace: str
    client: socketio.AsyncClient = field(default_factory=lambda: socketio.AsyncClient())
    inbox: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    refusal: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        for name in ("hello", "snapshot", "update", "error"):
            self.client.on(name, self._recorder(name), namespace=self.namespace)
        self.client.on("connect_error", self._refused, namespace=self.namespace)

    def _recorder(self, name: str) -> Callable[[Any], Awaitable[None]]:
        async def record(data: Any) -> None:
            await self.inbox.put((name, data))

        return record

    async def _refused(self, data: Any) -> None:
        # The server's reason {code, message} arrives as `data` beside socket.io's `message`.
        self.refusal = data.get("data") if isinstance(data, dict) else None

    async def connect(
        self, url: str, auth: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Connect over WebSocket; raises socketio.exceptions.ConnectionError when refused."""
        await self.client.connect(
            url,
            namespaces=[self.namespace],
            auth=auth,
            headers=headers or {},
            transports=["websocket"],
            wait_timeout=WAIT_S,
        )

    async def join(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Ask for the snapshots; return `hello` and one snapshot per room."""
        await self.client.emit("join", namespace=self.namespace)
        hello = await self.next("hello", skip="update")  # updates before hello are stale
        snapshots = [await self.next("snapshot") for _ in hello["rooms"]]
        return hello, snapshots

    async def next(self, name: str, skip: str | None = None) -> Any:
        """Return the next message, which must be a `name` (messages named `skip` are passed)."""
        got, data = await asyncio.wait_for(self.inbox.get(), WAIT_S)
        while got == skip:
            got, data = await asyncio.wait_for(self.inbox.get(), WAIT_S)
        assert got == name, f"expected {name}, got {got}: {data}"
        return data

    async def drain(self, name: str = "update", seconds: float = 0.3) -> list[Any]:
        """Return every `name` message that arrives until none has come for a while."""
        got = []
        while True:
            try:
                kind, data = await asyncio.wait_for(self.inbox.get(), seconds)
            except TimeoutError:
                return got
            assert kind == name, f"expected {name}, got {kind}: {data}"
            got.append(data)

    async def close(self) -> None:
        """Disconnect."""
        await self.client.disconnect()


@pytest.fixture
async def screens() -> AsyncIterator[Callable[[str], Screen]]:
    """Make screens for a namespace; all are disconnected at the end of the test."""
    made: list[Screen] = []

    def make(namespace: str) -> Screen:
        screen = Screen(namespace)
        made.append(screen)
        return screen

    yield make
    for screen in made:
        await screen.close()


@dataclass
class ClinicDay:
    """A department open today: a doctor (with a login), a TV display, patients waiting."""

    department_id: int
    doctor_id: int
    doctor_token: str
    display_key: str
    tickets: list[int]
    patient_tokens: list[str]


async def open_clinic(services: Services, waiting: int = 2) -> ClinicDay:
    """Open a department with a doctor in session and `waiting` walk-ins with patient logins."""
    from server.actions import admin, booking
    from server.auth.actor import SYSTEM
    from server.models import Role
    from tests import factories

    async def work(db: Any) -> ClinicDay:
        department = await factories.make_department(db)
        user = await factories.make_user(db, Role.DOCTOR)
        doctor = await factories.make_doctor(db, department, user_id=user.id)
        await factories.make_session(db, doctor)
        _display, key = await admin.create_display(
            db,
            SYSTEM,
            name=f"Board {department.code}",
            department_id=department.id,
            now=services.clock(),
        )
        tickets, tokens = [], []
        for _ in range(waiting):
            patient_user = await factories.make_user(db, Role.PATIENT)
            patient = await factories.make_patient(db, user_id=patient_user.id)
            ticket = await booking.register_walk_in(
                db,
                SYSTEM,
                patient_id=patient.id,
                department_id=department.id,
                now=services.clock(),
            )
            tickets.append(ticket.id)
            tokens.append(await factories.make_token(db, patient_user))
        return ClinicDay(
            department.id,
            doctor.id,
            await factories.make_token(db, user),
            key,
            tickets,
            tokens,
        )

    day = await services.run(work)
    await settled(services)
    return day


async def settled(services: Services) -> None:
    """Wait until follow-up jobs (re-planning, ...) ran and every change reached the screens."""
    for _ in range(3):  # a job's commit publishes; a publication may enqueue another job
        if isinstance(services.jobs, InProcessJobs):
            await services.jobs.drain()
        runtime = SERVED.get(id(services))
        realtime = runtime.realtime if runtime is not None else None
        if realtime is not None and realtime.fanout is not None:  # a server with Socket.IO
            await realtime.fanout.wait_idle()


@pytest.fixture
async def clinic_day(live_server: LiveServer) -> ClinicDay:
    """Open a small clinic on the live server."""
    return await open_clinic(live_server.services)
