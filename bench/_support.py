"""Shared by the benchmarks: free ports, a server subprocess, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from server.models import Role
    from server.services import Services

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@asynccontextmanager
async def bench_clinic(database_url: str, **settings: Any) -> AsyncIterator[Services]:
    """Yield the state of a one-shot runtime on `database_url` (server/runtime.py); close it."""
    from server.config import Settings
    from server.runtime import ProcessRole, build_runtime

    made = Settings(database_url=database_url, **settings)
    async with build_runtime(made, ProcessRole.TOOL) as runtime:
        yield runtime.services


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0..100) by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@contextmanager
def server(env: dict[str, str], port: int, workers: int = 1) -> Iterator[str]:
    """Run `uvicorn server.asgi:create_asgi` in a subprocess until the block ends."""
    command = [
        PYTHON,
        "-m",
        "uvicorn",
        "server.asgi:create_asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        # Name the fast loop and parser (uvicorn[standard]) so a missing one fails loudly.
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Poll /health until the server answers."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


async def bench_login(db: AsyncSession, role: Role, now: datetime, username: str = "") -> str:
    """Create a user of `role` and return a bearer token for it, valid for a day."""
    from server.actions import admin
    from server.auth.actor import SYSTEM
    from server.auth.secrets import digest, new_secret
    from server.models import ApiToken

    name = username or f"bench-{role.value}"
    user = await admin.create_user(
        db, SYSTEM, username=name, password_hash="-", role=role, full_name=name, now=now
    )
    token = new_secret("cq")
    db.add(
        ApiToken(
            user_id=user.id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + timedelta(days=1),
        )
    )
    return token


async def bench_patients(db: AsyncSession, count: int, prefix: str, now: datetime) -> list[int]:
    """Register `count` patients (record numbers `prefix`0, `prefix`1, …); return their ids."""
    from sqlalchemy import insert

    from server.models import Patient

    rows = [
        {
            "record_number": f"{prefix}{n}",
            "full_name": f"Bench Patient {n}",
            "date_of_birth": datetime(1980, 1, 1).date(),
            "sex": "F",
            "phone": None,  # no contact: the benches measure queues, not messages
            "email": None,
            "created_at": now,
        }
        for n in range(count)
    ]
    # One statement for all, ids back in insertion order: seeding 4,000 takes a moment.
    inserted = await db.scalars(
        insert(Patient).returning(Patient.id, sort_by_parameter_order=True), rows
    )
    return list(inserted)
