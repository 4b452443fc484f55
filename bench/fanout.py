"""Measure commit-to-screen latency of live updates at 1,000 and 5,000 sockets.

Run with no arguments. It builds an SQLite clinic (one department, 100 tickets waiting, one
called), starts the real server (`server.asgi:create_asgi` under uvicorn, embedded mode) and a
bare python-socketio server as the baseline, each in its own process, then for each client
count starts load processes holding raw socket.io-over-WebSocket clients (half on `/board`, half
on `/patient` with signed ticket links). Each action is a REST `recall`; its latency is the
client's receive time minus the server's wall-clock time right after commit (`sent_at`).
Then the scaled mode: two server processes sharing rooms through Redis (the bench's own
database and channel), the clients split between them, every action posted to the first.
Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, cast

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from bench._support import bench_clinic, bench_login, bench_patients, free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
COUNTS = (1000, 5000)
ACTIONS = 10
GAP_S = 1.0
LOAD_PROCESSES = 1  # with the server, one process per core
TICKETS = 100
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
PAYLOAD = {"filler": "x" * 900}  # about the size of a board update
SCALED_SERVERS = 2
BENCH_REDIS_URL = "redis://127.0.0.1:6379/9"  # the bench's own Redis database, flushed
SCOPE_VARIABLE = "FANOUT_SCOPE"


def raise_file_limit() -> None:
    """Allow as many sockets as the hard limit does (inherited by the child processes)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_s(pid: int) -> float:
    """Return the CPU time (user + system) a process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    """Return a process's resident memory in KB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- the clinic and the servers


async def seed(database_url: str) -> dict[str, Any]:
    """Make the department, its tickets (one called), a display key, links and an admin token."""
    from datetime import UTC, datetime, timedelta

    from server.actions import admin, booking, queue
    from server.auth.actor import SYSTEM
    from server.auth.secrets import sign_ticket
    from server.db import transaction
    from server.models import Role

    now = datetime.now(UTC)
    async with (
        bench_clinic(database_url, secret_key=SECRET) as services,
        transaction(services.database) as db,
    ):
        department = await admin.create_department(
            db, SYSTEM, code="GEN", name="General", token_prefix="G", rooms=["Room 1"], now=now
        )
        doctor = await admin.create_doctor(
            db, SYSTEM, department_id=department.id, name="Dr. Bench", now=now
        )
        await admin.create_session(
            db,
            SYSTEM,
            doctor_id=doctor.id,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=8),
            slot_minutes=15,
            capacity_per_slot=1,
            overbook_cap=1,
            now=now,
        )
        _display, key = await admin.create_display(
            db, SYSTEM, name="Hall", department_id=department.id, now=now
        )
        tickets = []
        for patient_id in await bench_patients(db, TICKETS, "MRN-B", now):
            ticket = await booking.register_walk_in(
                db, SYSTEM, patient_id=patient_id, department_id=department.id, now=now
            )
            tickets.append(ticket.id)
        called = await queue.call_next(db, SYSTEM, doctor_id=doctor.id, now=now)
        token = await bench_login(db, Role.ADMIN, now, username="bench")
    return {
        "key": key,
        "links": [sign_ticket(SECRET, t) for t in tickets],
        "called": called.id,
        "token": token,
    }


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start a server process and wait until it answers."""
    process = subprocess.Popen(
        [sys.executable, *args, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server {args} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server; one that is still closing thousands of sockets after 30 s is killed."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


UVICORN = [
    "-m",
    "uvicorn",
    "--host",
    "127.0.0.1",
    "--log-level",
    "warning",
    "--ws",
    "websockets-sansio",
    "--ws-per-message-deflate",
    "false",
]


def baseline_app() -> Any:
    """A bare python-socketio server: accept anyone on /board, broadcast on POST /emit."""
    import socketio

    sio = socketio.AsyncServer(async_mode="asgi")

    async def connect(_sid: str, _environ: dict[str, Any], _auth: Any = None) -> None:
        return None

    sio.on("connect", connect, namespace="/board")
    sent = {"seq": 0}

    async def http(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        sent["seq"] += 1
        message = {"room": "all", "seq": sent["seq"], "sent_at": time.time(), "data": PAYLOAD}
        await sio.emit("update", message, namespace="/board")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return socketio.ASGIApp(sio, other_asgi_app=http)


def scaled_app() -> Any:
    """The production app with the bench's own Redis channel (others may share the server)."""
    from server.asgi import create_asgi

    return create_asgi(scope=os.environ[SCOPE_VARIABLE])


# ---------------------------------------------------------------- the load processes


def frame(text: bytes) -> bytes:
    """Frame a client text message; the mask is all zeros, so the payload goes as it is."""
    size = len(text)
    if size < 126:
        head = bytes((0x81, 0x80 | size))
    else:
        head = bytes((0x81, 0x80 | 126)) + size.to_bytes(2, "big")
    return head + b"\0\0\0\0" + text


def number_after(message: bytes, key: bytes, start: int = 0) -> bytes:
    """Return the JSON scalar that follows `key` in `message` (a cheap search, no decoding)."""
    at = message.index(key, start) + len(key)
    end = at
    while message[end] not in b",}]":
        end += 1
    return message[at:end]


class Client(asyncio.Protocol):
    """One socket.io client over a hand-rolled WebSocket: cheap per frame, so it is not the
    bottleneck. The receipt time is taken once per read from the socket, before any parsing."""

    def __init__(self, hub: Load, namespace: str, auth: dict[str, Any]) -> None:
        self.hub, self.auth = hub, auth
        self.namespace = namespace.encode()
        self.prefix = b"42" + self.namespace + b","
        self.buffer = bytearray()
        self.upgraded = False
        self.got: list[list[Any]] = []  # [latency ms, room, seq] per update
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ready = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )

    def send(self, text: bytes) -> None:
        assert self.transport is not None
        self.transport.write(frame(text))

    def data_received(self, data: bytes) -> None:
        received = time.time()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.fail()
                return
            del buffer[: end + 4]
            self.upgraded = True
        while len(buffer) >= 2:
            opcode, size, at = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if size == 126:
                size, at = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                size, at = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < at + size:
                return
            payload = bytes(buffer[at : at + size])
            del buffer[: at + size]
            if opcode == 1:
                self.message(payload, received)
            elif opcode == 9:  # a WebSocket ping from uvicorn: pong, masked
                assert self.transport is not None
                self.transport.write(bytes((0x8A, 0x80 | size)) + b"\0\0\0\0" + payload)
            elif opcode == 8:
                self.fail()
                return

    def message(self, message: bytes, received: float) -> None:
        if message.startswith(self.prefix):
            body = message[len(self.prefix) :]
            if body.startswith(b'["update"'):
                sent_at = float(number_after(body, b'"sent_at":', body.rindex(b'"sent_at":')))
                room = number_after(body, b'"room":').strip(b'"').decode()
                seq = int(number_after(body, b'"seq":'))
                self.got.append([(received - sent_at) * 1000, room, seq])
            elif body.startswith(b'["snapshot"'):
                self.become_ready()
        elif message == b"2":
            self.send(b"3")  # engine.io ping
        elif message.startswith(b"0"):
            self.send(b"40" + self.namespace + b"," + json.dumps(self.auth).encode())
        elif message.startswith(b"40"):
            self.connected.set_result(None)
            if self.hub.bare:
                self.become_ready()
            else:
                self.send(self.prefix + b'["join"]')
        elif message.startswith(b"44"):
            self.fail()

    def become_ready(self) -> None:
        if not self.ready:
            self.ready = True
            self.hub.count_ready()

    def fail(self) -> None:
        if not self.ready:
            self.hub.refused += 1
        if not self.connected.done():
            self.connected.set_result(None)
        self.become_ready()
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready:
            self.fail()


class Load:
    """One load process's clients and how many of them are ready."""

    def __init__(self, bare: bool, total: int) -> None:
        self.bare, self.total = bare, total
        self.refused = self.readies = 0
        self.all_ready = asyncio.Event()

    def count_ready(self) -> None:
        self.readies += 1
        if self.readies == self.total:
            self.all_ready.set()


Plan = list[tuple[str, str, dict[str, Any]]]  # (ws://host:port, namespace, auth) per client


async def load(plan: Plan, bare: bool) -> None:
    """Hold `plan`'s clients; say READY when all joined; report latencies on STOP."""
    hub = Load(bare, len(plan))
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(50)
    clients = [(url, Client(hub, namespace, auth)) for url, namespace, auth in plan]

    async def connect(url: str, client: Client) -> None:
        host, port = url.removeprefix("ws://").split(":")
        async with gate:
            try:
                await loop.create_connection(lambda: client, host, int(port))
            except OSError:
                client.fail()
            await client.connected

    await asyncio.gather(*(connect(url, c) for url, c in clients))
    await asyncio.wait_for(hub.all_ready.wait(), 600)
    print("READY", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    print(json.dumps({"clients": [c.got for _, c in clients], "refused": hub.refused}), flush=True)
    for _, client in clients:
        if client.transport is not None:
            client.transport.close()


def start_load(plan: Plan, bare: bool) -> subprocess.Popen[str]:
    """Start one load process with its share of the clients."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--load", "1" if bare else "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(plan) + "\n")  # too long for a command line
    process.stdin.flush()
    line = process.stdout.readline().strip()
    if line != "READY":
        raise RuntimeError(f"load process failed: {line!r}")
    return process


# ---------------------------------------------------------------- one measurement


def last_numbers(clients: list[list[list[Any]]]) -> dict[str, int]:
    """Return the last number any client saw in each room."""
    last: dict[str, int] = {}
    for got in clients:
        for _latency, room, seq in got:
            last[room] = max(seq, last.get(room, seq))
    return last


def every_update(got: list[list[Any]], last: dict[str, int]) -> bool:
    """Tell whether a client saw its room's updates without a gap, up to the last one sent.

    Batches committed while one is going out are merged into one update, so a client may get
    fewer updates than there were actions, but never a gap.
    """
    seqs = [seq for _latency, _room, seq in got]
    return (
        bool(got)
        and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        and (seqs[-1] == last[got[0][1]])
    )


def measure(plan: Plan, bare: bool, act: Any, server_pids: list[int]) -> dict[str, Any]:
    """Connect the clients, fire the actions, gather latencies, server CPU and memory."""
    before = sum(rss_kb(pid) for pid in server_pids)
    share = [plan[i::LOAD_PROCESSES] for i in range(LOAD_PROCESSES)]
    loads = [start_load(part, bare) for part in share]
    after = sum(rss_kb(pid) for pid in server_pids)
    cpu_before = sum(cpu_s(pid) for pid in server_pids)
    for _ in range(ACTIONS):
        act()
        time.sleep(GAP_S)
    time.sleep(2 * GAP_S)
    # Includes each action's HTTP request and the sockets' pings in the same seconds.
    cpu_ms = (sum(cpu_s(pid) for pid in server_pids) - cpu_before) * 1000 / ACTIONS
    clients: list[list[list[Any]]] = []
    refused = 0
    for process in loads:
        out, _ = process.communicate("STOP\n", timeout=120)
        result = json.loads(out.strip().splitlines()[-1])
        refused += result["refused"]
        clients.extend(result["clients"])
    latencies = [latency for got in clients for latency, _room, _seq in got]
    last = last_numbers(clients)
    complete = sum(every_update(got, last) for got in clients)
    return {
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "received_all": complete == len(plan) and refused == 0,
        "kb_per_connection": round((after - before) / len(plan), 1),
        "server_cpu_ms_per_action": round(cpu_ms, 1),
    }


def run() -> dict[str, Any]:
    """Do the whole benchmark and return its JSON."""
    raise_file_limit()
    load_before = os.getloadavg()[0]  # what else the machine runs; ours adds about 2
    directory = tempfile.mkdtemp(prefix="fanout-")
    database_url = f"sqlite+aiosqlite:///{directory}/bench.sqlite3"
    from server.migrate import upgrade

    upgrade(database_url)
    clinic = asyncio.run(seed(database_url))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "CLINIC_VAR_DIR": directory,
    }
    env.pop("REDIS_URL", None)
    http = httpx.Client(timeout=30)
    called = clinic["called"]
    headers = {"Authorization": f"Bearer {clinic['token']}"}

    def poster(url: str) -> Any:
        return lambda: http.post(url, headers=headers).raise_for_status()

    def clients(count: int, urls: list[str]) -> Plan:
        # Half boards, half phones; consecutive clients go to different servers.
        return [
            (urls[i % len(urls)], "/board", {"key": clinic["key"]})
            if (i // len(urls)) % 2 == 0
            else (urls[i % len(urls)], "/patient", {"link": clinic["links"][i % TICKETS]})
            for i in range(count)
        ]

    def once(factory: str, count: int, bare: bool) -> dict[str, Any]:
        # One server at a time, fresh for each count: nothing else competes for the cores.
        port = free_port()
        process = start_server([*UVICORN, "--factory", factory], env, port)
        if bare:
            plan: Plan = [(f"ws://127.0.0.1:{port}", "/board", {})] * count
            url = f"http://127.0.0.1:{port}/emit"
        else:
            plan = clients(count, [f"ws://127.0.0.1:{port}"])
            url = f"http://127.0.0.1:{port}/api/tickets/{called}/recall"
        try:
            return measure(plan, bare, poster(url), [process.pid])
        finally:
            stop(process)

    def scaled(count: int) -> dict[str, Any]:
        # The documented scaled mode: processes share rooms and numbers through Redis.
        import redis

        store = redis.Redis.from_url(BENCH_REDIS_URL)
        store.flushdb()
        shared = {**env, "REDIS_URL": BENCH_REDIS_URL, SCOPE_VARIABLE: f"fanout-{uuid.uuid4().hex}"}
        ports = [free_port() for _ in range(SCALED_SERVERS)]
        processes = []
        try:
            for port in ports:
                command = [*UVICORN, "--factory", "bench.fanout:scaled_app"]
                processes.append(start_server(command, shared, port))
            url = f"http://127.0.0.1:{ports[0]}/api/tickets/{called}/recall"
            plan = clients(count, [f"ws://127.0.0.1:{port}" for port in ports])
            return measure(plan, False, poster(url), [p.pid for p in processes])
        finally:
            for process in processes:
                stop(process)
            store.flushdb()
            store.close()

    runs, scaled_runs = [], []
    try:
        for count in COUNTS:
            ours = once("server.asgi:create_asgi", count, False)
            base = once("bench.fanout:baseline_app", count, True)
            ratio = ours["p99_ms"] / base["p99_ms"] if base["p99_ms"] else None
            runs.append(
                {
                    "clients": count,
                    **ours,
                    "baseline_p99_ms": base["p99_ms"],
                    "baseline_p50_ms": base["p50_ms"],
                    "ratio": round(ratio, 2) if ratio else None,
                    "baseline_received_all": base["received_all"],
                }
            )
        for count in COUNTS:
            scaled_runs.append({"clients": count, "servers": SCALED_SERVERS, **scaled(count)})
    finally:
        http.close()
    return {
        "benchmark": "fanout",
        "database": "sqlite (embedded mode, in-memory Socket.IO manager)",
        "actions_per_run": ACTIONS,
        "action": "POST /api/tickets/<id>/recall (1 s apart)",
        "clients_split": "half /board (one room), half /patient (100 ticket rooms)",
        "load_processes": LOAD_PROCESSES,
        "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "runs": runs,
        "scaled": (
            f"{SCALED_SERVERS} server processes + Redis (DirectSendRedis), clients alternating "
            "between them, actions posted to the first; same SQLite file"
        ),
        "scaled_runs": scaled_runs,
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        raise_file_limit()
        uvloop.run(
            load(
                [(url, ns, auth) for url, ns, auth in json.loads(sys.stdin.readline())],
                sys.argv[2] == "1",
            )
        )
    else:
        print(json.dumps(run()))
