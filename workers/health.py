"""The worker's health: its loop's last round, Redis's state, and an HTTP answer about both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Health:
    """What one worker process knows about itself."""

    queue: str
    stale_s: float
    started: float = field(default_factory=time.monotonic)
    last_round: float = field(default_factory=time.monotonic)
    ready: bool = False  # started up and came round its loop once with Redis answering
    redis_up: bool = False
    redis_down_since: float | None = None
    outages: int = 0
    failed_rounds: int = 0  # rounds of the loop that met a Redis error, over the process's life
    last_error: str = ""

    def round_done(self) -> None:
        """Record a full, healthy round of the poll loop."""
        self.last_round = time.monotonic()
        if not self.redis_up and self.redis_down_since is not None:
            self.redis_down_since = None
        self.redis_up = True

    def redis_lost(self, error: BaseException) -> None:
        """Record that Redis did not answer; the loop itself is still alive."""
        now = time.monotonic()
        self.last_round = now
        if self.redis_up or self.redis_down_since is None:
            self.outages += 1
            self.redis_down_since = now
        self.redis_up = False
        self.failed_rounds += 1
        self.last_error = f"{type(error).__name__}: {error}"

    def alive(self) -> bool:
        """Tell whether the worker is up and its loop came round recently (Redis down or not)."""
        return self.ready and time.monotonic() - self.last_round < self.stale_s

    def report(self) -> dict[str, Any]:
        """Describe the worker for the health endpoint."""
        now = time.monotonic()
        down = self.redis_down_since
        return {
            "status": "ok" if self.alive() else "stalled" if self.ready else "starting",
            "queue": self.queue,
            "uptime_s": round(now - self.started, 1),
            "last_round_s_ago": round(now - self.last_round, 2),
            "redis": "up" if self.redis_up else "down",
            "redis_down_for_s": None if down is None else round(now - down, 1),
            "redis_outages": self.outages,
            "failed_rounds": self.failed_rounds,
            "last_error": self.last_error,
        }


async def serve(health: Health, host: str, port: int) -> asyncio.Server:
    """Answer GET /health with 200 (alive) or 503 (loop stalled) and a JSON report."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.TimeoutError, ValueError):
            request = await asyncio.wait_for(reader.readline(), 5)
            path = request.split()[1].decode() if len(request.split()) > 1 else ""
            if path.split("?")[0] != "/health":
                status, body = "404 Not Found", b'{"error": "not found"}'
            else:
                status = "200 OK" if health.alive() else "503 Service Unavailable"
                body = json.dumps(health.report()).encode()
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, host, port)


async def check(host: str, port: int, timeout_s: float = 5.0) -> tuple[bool, str]:
    """Ask a worker's health port; return (healthy, what it said)."""
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            await writer.drain()
            answer = await reader.read()
            writer.close()
    except (OSError, TimeoutError) as error:
        return False, f"no answer from {host}:{port}: {error}"
    head, _, body = answer.decode(errors="replace").partition("\r\n\r\n")
    return head.startswith("HTTP/1.1 200"), body or head
