"""Real processes for fault tests: a redis-server on a spare port, `clinic worker` processes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.config import PROJECT_ROOT
from workers import health

CLINIC = str(Path(sys.executable).parent / "clinic")


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(condition: Any, deadline_s: float, what: str, step_s: float = 0.05) -> float:
    """Wait until `await condition()` holds; return the seconds it took; fail after the deadline."""
    start = time.monotonic()
    while not await condition():
        if time.monotonic() - start > deadline_s:
            raise AssertionError(f"{what}: not within {deadline_s:g} s")
        await asyncio.sleep(step_s)
    return time.monotonic() - start


@dataclass
class RedisServer:
    """A redis-server of the test's own, killed and restarted on the same port at will."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = await asyncio.create_subprocess_exec(
            binary,
            *arguments,
            "--save",
            "",
            "--appendonly",
            "no",
            cwd=self.directory,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

        async def answers() -> bool:
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                return False
            writer.close()
            return True

        await until(answers, 10, "redis-server listening")

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()


@dataclass
class WorkerProcess:
    """One `clinic worker` OS process with a health port; SIGKILLed by the test."""

    env: dict[str, str]
    log_path: Path
    health_port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    spawned_at: float = 0.0

    async def start(self) -> float:
        """Start the worker; return the seconds until its health port says it is ready."""
        env = {**os.environ, **self.env, "CLINIC_WORKER_HEALTH_PORT": str(self.health_port)}
        self.spawned_at = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                CLINIC, "worker", env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log
            )
        return await until(self.healthy, 60, "worker ready", step_s=0.1)

    async def report(self) -> dict[str, Any] | None:
        ok, body = await health.check("127.0.0.1", self.health_port, timeout_s=2)
        if not ok:
            return None
        found: dict[str, Any] = json.loads(body)
        return found

    async def healthy(self) -> bool:
        return await self.report() is not None

    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def check(self) -> int:
        """Run `clinic worker --check` against this worker's health port; return its exit code."""
        env = {**os.environ, **self.env, "CLINIC_WORKER_HEALTH_PORT": str(self.health_port)}
        checker = await asyncio.create_subprocess_exec(
            CLINIC,
            "worker",
            "--check",
            env=env,
            cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return await checker.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]
