"""Several server processes and a worker share rooms and numbers through Redis."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from server.config import Settings
from server.db import make_database, transaction
from server.realtime.server import attach_worker_emitter
from server.services import make_services
from tests.conftest import TEST_SECRET, Clock
from tests.realtime.conftest import LiveServer, Screen, open_clinic, serve
from tests.realtime.served import SCOPE_VARIABLE
from tests.realtime.test_updates import call_next, numbered_from
from tests.services import redis_url

pytestmark = pytest.mark.redis
REDIS_URL = redis_url(5)
ROOT = Path(__file__).resolve().parents[2]
START_S = 150.0  # two app imports at once on a busy 2-core machine (45 s each at load 20)
MakeScreen = Callable[[str], Screen]


@pytest.fixture
async def scope() -> AsyncIterator[str]:
    """Name this test's channel and keys apart from any other run sharing the Redis server."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(f"{name}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@dataclass
class Process:
    """A server process: its base URL, the process and where its output goes."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(env: dict[str, str], log: Path) -> Process:
    """Start `uvicorn` on the production app, in its own OS process, on a free port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.realtime.served:create",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ws",
        "websockets-sansio",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    return Process(f"http://127.0.0.1:{port}", process, log)


async def answering(server: Process) -> None:
    """Wait until the server accepts connections; fail with its output if it died."""
    port = int(server.url.rsplit(":", 1)[1])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_S
    while loop.time() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited:\n{server.log.read_text()[-3000:]}")
        with suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"server did not start:\n{server.log.read_text()[-3000:]}")


def stop(server: Process) -> None:
    """Stop a server gracefully (it drains its updates), or kill it."""
    server.process.terminate()
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def server_env(database_url: str, tmp_path: Path, scope: str) -> dict[str, str]:
    """Return the environment of a production server on the test database and Redis."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLINIC_") or key.startswith("CLINIC_SOLVER_")
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": TEST_SECRET,
            "CLINIC_MODE": "test",
            "CLINIC_VAR_DIR": str(tmp_path),
            SCOPE_VARIABLE: scope,
        }
    )
    return env


@pytest.fixture
async def two_processes(
    engine: AsyncEngine, server_env: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    """Run two server processes on the test database and one Redis; yield their URLs."""
    servers = [start(server_env, tmp_path / f"server-{n}.log") for n in (1, 2)]
    try:
        await asyncio.gather(*(answering(s) for s in servers))
        yield servers[0].url, servers[1].url
    finally:
        for server in servers:
            stop(server)


@dataclass
class RealDay:
    """A department open now by the wall clock (the server processes' clock)."""

    doctor_id: int
    doctor_token: str
    display_key: str


async def open_clinic_now(engine: AsyncEngine) -> RealDay:
    """Open a department with a doctor in session now and two walk-ins waiting."""
    from server.actions import admin, booking
    from server.auth.actor import SYSTEM
    from server.models import Role
    from tests import factories

    now = datetime.now(UTC)
    async with transaction(make_database(engine)) as db:
        department = await factories.make_department(db)
        user = await factories.make_user(db, Role.DOCTOR)
        doctor = await factories.make_doctor(db, department, user_id=user.id)
        await factories.make_session(
            db, doctor, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2)
        )
        _display, key = await admin.create_display(
            db, SYSTEM, name="Hall", department_id=department.id, now=now
        )
        for _ in range(2):
            patient = await factories.make_patient(db)
            await booking.register_walk_in(
                db, SYSTEM, patient_id=patient.id, department_id=department.id, now=now
            )
        token = await factories.make_token(db, user, expires=now + timedelta(hours=1))
    return RealDay(doctor.id, token, key)


async def test_an_action_on_one_process_reaches_a_screen_on_the_other(
    two_processes: tuple[str, str], engine: AsyncEngine, screens: MakeScreen
) -> None:
    first, second = two_processes
    day = await open_clinic_now(engine)
    board = screens("/board")
    await board.connect(second, {"key": day.display_key})
    _hello, [snapshot] = await board.join()
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{first}/api/doctors/{day.doctor_id}/call-next",
            headers={"Authorization": f"Bearer {day.doctor_token}"},
        )
    assert answer.status_code == 200, answer.text
    updates = [await board.next("update"), *await board.drain()]
    assert numbered_from(updates, snapshot["seq"])  # one numbering shared through Redis
    assert {u["epoch"] for u in updates} == {snapshot["epoch"]}
    [serving] = updates[-1]["data"]["serving"]
    assert (serving["token"], serving["status"]) == (answer.json()["token"], "called")


@pytest.fixture
async def redis_server(
    settings: Settings, engine: AsyncEngine, clock: Clock, scope: str
) -> AsyncIterator[LiveServer]:
    """Run one in-process server on Redis (the worker test needs its state)."""
    async with serve(settings.model_copy(update={"redis_url": REDIS_URL}), clock, scope) as server:
        yield server


async def test_a_worker_emits_to_screens_through_redis(
    redis_server: LiveServer, screens: MakeScreen, scope: str
) -> None:
    server = redis_server
    day = await open_clinic(server.services)
    phone = screens("/patient")
    await phone.connect(server.url, {"token": day.patient_tokens[0], "ticket_id": day.tickets[0]})
    _hello, [snapshot] = await phone.join()
    redis = Redis.from_url(REDIS_URL)
    worker = make_services(server.services.settings, redis=redis, clock=server.services.clock)
    engine = worker.engine
    emitter = await attach_worker_emitter(worker, scope=scope)
    await call_next(worker, day)
    await emitter.wait_idle()  # the worker published (through Redis) before the phone is read
    updates = await phone.drain()
    assert numbered_from(updates, snapshot["seq"])
    assert updates[-1]["data"]["ticket"]["status"] == "called"
    await redis.aclose()
    await engine.dispose()
