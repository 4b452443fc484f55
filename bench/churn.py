"""Measure the server's memory under connection churn: 20,000 board connects and disconnects.

Run with no arguments. It builds an SQLite clinic (one department, 100 tickets waiting, a TV
display), starts the real server (`server.asgi:create_asgi` under uvicorn, embedded mode, the
flags `clinic serve` uses), then runs connect/join/disconnect cycles with raw socket.io clients
over WebSocket, 16 clients at a time: each opens a socket, connects to `/board` with the
display key, sends `join` and waits for its snapshot. Each client keeps its last 32 boards
open and closes the oldest as it opens a new one, so 512 boards stand while the others come
and go (connections live long enough for the collector to promote what they leave behind).
The server's RSS is read after the first 2,000 cycles and every 2,000 after that, each time
after a short pause. Prints one JSON object:
{"cycles", "rss_after_2000_mb", "rss_after_20000_mb", "growth_pct", ...}.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from bench._support import free_port
from bench.fanout import SECRET, UVICORN, rss_kb, seed, stop

CYCLES = 20_000
FIRST = 2_000
EVERY = 2_000
PARALLEL = 16  # clients cycling at once
HELD_PER_CLIENT = 32  # each keeps this many boards open: 512 stand while others come and go
SETTLE_S = 3.0  # idle time before each reading: closes finish, the server's timers fire
START_S = 120.0
ROOT = Path(__file__).resolve().parent.parent
KEY = b"dGhlIHNhbXBsZSBub25jZQ=="


def frame(text: bytes) -> bytes:
    """Frame a client text message (masked with zeros, so the payload goes as it is)."""
    size = len(text)
    head = (
        bytes((0x81, 0x80 | size)) if size < 126 else bytes((0x81, 0xFE)) + size.to_bytes(2, "big")
    )
    return head + b"\0\0\0\0" + text


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one WebSocket frame from the server: (opcode, payload)."""
    head = await reader.readexactly(2)
    size = head[1] & 0x7F
    if size == 126:
        size = int.from_bytes(await reader.readexactly(2), "big")
    elif size == 127:
        size = int.from_bytes(await reader.readexactly(8), "big")
    return head[0] & 0x0F, await reader.readexactly(size)


class Board:
    """One raw socket.io board connection: open, joined (its snapshot read), then closed."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.alive: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, port: int, auth: bytes) -> Board:
        """Connect a board, join and wait for its snapshot; keep answering pings after."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        board = cls(reader, writer)
        try:
            await board._join(auth)
        except BaseException:
            writer.close()
            raise
        board.alive = asyncio.get_running_loop().create_task(board._answer())
        return board

    async def _join(self, auth: bytes) -> None:
        self.writer.write(
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + KEY + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        response = await self.reader.readuntil(b"\r\n\r\n")
        if not response.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"no upgrade: {response[:80]!r}")
        while True:
            payload = await self._next()
            if payload.startswith(b"0"):  # engine.io open
                self.writer.write(frame(b"40/board," + auth))
            elif payload.startswith(b"40/board"):
                self.writer.write(frame(b'42/board,["join"]'))
            elif payload.startswith(b"44/board"):
                raise RuntimeError(f"refused: {payload!r}")
            elif payload.startswith(b'42/board,["snapshot"'):
                return

    async def _next(self) -> bytes:
        while True:
            opcode, payload = await read_frame(self.reader)
            if opcode == 8:
                raise RuntimeError("closed by the server")
            if opcode == 9:  # uvicorn's WebSocket ping
                self.writer.write(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
            elif payload == b"2":  # engine.io's ping
                self.writer.write(frame(b"3"))
            elif opcode == 1:
                return payload

    async def _answer(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, asyncio.IncompleteReadError):
            while True:
                await self._next()

    async def close(self) -> None:
        """Leave the namespace and close the WebSocket, as a browser tab that goes away."""
        if self.alive is not None:
            self.alive.cancel()
        with contextlib.suppress(OSError):
            self.writer.write(frame(b"41/board,"))
            self.writer.write(bytes((0x88, 0x82)) + b"\0\0\0\0" + (1000).to_bytes(2, "big"))
            await self.writer.drain()
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def churn(port: int, key: str, pid: int) -> dict[str, Any]:
    """Run the cycles over a standing population; read RSS at each checkpoint when idle."""
    auth = json.dumps({"key": key}).encode()
    readings: dict[int, float] = {}
    done = failed = 0
    started = time.monotonic()
    checkpoints = [FIRST, *range(FIRST + EVERY, CYCLES + 1, EVERY)]
    rings: list[deque[Board]] = [deque() for _ in range(PARALLEL)]

    async def worker(ring: deque[Board], count: int) -> None:
        nonlocal failed
        for _ in range(count):
            try:
                ring.append(await Board.open(port, auth))
            except (OSError, RuntimeError, asyncio.IncompleteReadError):
                failed += 1
            if len(ring) > HELD_PER_CLIENT:
                await ring.popleft().close()

    for target in checkpoints:
        remaining = target - done
        shares = [remaining // PARALLEL + (i < remaining % PARALLEL) for i in range(PARALLEL)]
        await asyncio.gather(*(worker(ring, n) for ring, n in zip(rings, shares, strict=True)))
        done = target
        await asyncio.sleep(SETTLE_S)
        readings[target] = round(rss_kb(pid) / 1024, 1)
        print(f"{target} cycles: RSS {readings[target]} MB", file=sys.stderr, flush=True)
    for ring in rings:
        while ring:
            await ring.popleft().close()
    return {"readings": readings, "failed": failed, "seconds": round(time.monotonic() - started)}


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start the server and wait until it accepts connections (slowly, on a busy machine)."""
    command = [sys.executable, *UVICORN, "--factory", "server.asgi:create_asgi"]
    process = subprocess.Popen(
        [*command, "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def run() -> dict[str, Any]:
    """Do the whole benchmark and return its JSON."""
    load_before = os.getloadavg()[0]
    directory = tempfile.mkdtemp(prefix="churn-")
    database_url = f"sqlite+aiosqlite:///{directory}/bench.sqlite3"
    from server.migrate import upgrade

    upgrade(database_url)
    clinic = asyncio.run(seed(database_url))
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET}
    env["CLINIC_VAR_DIR"] = directory
    env.pop("REDIS_URL", None)
    port = free_port()
    process = start_server(env, port)
    try:
        time.sleep(SETTLE_S)
        rss_idle = round(rss_kb(process.pid) / 1024, 1)
        result = uvloop.run(churn(port, clinic["key"], process.pid))
    finally:
        stop(process)
    readings = result["readings"]
    first, last = readings[FIRST], readings[CYCLES]
    return {
        "benchmark": "churn",
        "cycles": CYCLES,
        "rss_idle_mb": rss_idle,
        "rss_after_2000_mb": first,
        "rss_after_20000_mb": last,
        "growth_pct": round((last - first) / first * 100, 1),
        "rss_mb_by_cycles": readings,
        "failed_cycles": result["failed"],
        "seconds": result["seconds"],
        "cycle": "WebSocket open, connect /board with the display key, join, snapshot; "
        "the oldest open board closes (a standing population of boards churns)",
        "standing_boards": PARALLEL * HELD_PER_CLIENT,
        "parallel_clients": PARALLEL,
        "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
    }


if __name__ == "__main__":
    print(json.dumps(run()))
