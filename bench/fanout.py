"""Measure commit-to-screen latency of live updates at 1,000 and 5,000 sockets.

Run with no arguments. It builds an SQLite clinic (one department, 100 tickets waiting, one
called), starts the real server (`server.asgi:create_asgi` under uvicorn, embedded mode) and a
bare python-socketio server as the baseline, each in its own process, then for each client
count starts load processes holding raw socket.io-over-WebSocket clients (half on `/board`, half
on `/patient` with signed ticket links). Each action is a REST `recall`; its latency is the
client's receive time minus the server's wall-clock time right after commit (`sent_at`).
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
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from bench._support import free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
COUNTS = (1000, 5000)
ACTIONS = 10
GAP_S = 1.0
LOAD_PROCESSES = 2
TICKETS = 100
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
PAYLOAD = {"filler": "x" * 900}  # about the size of a board update


def raise_file_limit() -> None:
    """Allow as many sockets as the hard limit does (inherited by the child processes)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


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
    from server.auth.secrets import digest, new_secret, sign_ticket
    from server.config import Settings
    from server.db import make_engine, make_sessionmaker, transaction
    from server.models import ApiToken, Patient, Role

    now = datetime.now(UTC)
    engine = make_engine(Settings(database_url=database_url, secret_key=SECRET))
    async with transaction(make_sessionmaker(engine)) as session:
        department = await admin.create_department(
            session, SYSTEM, code="GEN", name="General", token_prefix="G", rooms=["Room 1"], now=now
        )
        doctor = await admin.create_doctor(
            session, SYSTEM, department_id=department.id, name="Dr. Bench", now=now
        )
        await admin.create_session(
            session,
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
            session, SYSTEM, name="Hall", department_id=department.id, now=now
        )
        tickets = []
        for n in range(TICKETS):
            patient = Patient(
                record_number=f"MRN-B{n}",
                full_name=f"Bench Patient {n}",
                date_of_birth=datetime(1980, 1, 1).date(),
                sex="F",
                phone="",
                email="",
                created_at=now,
            )
            session.add(patient)
            await session.flush()
            ticket = await booking.register_walk_in(
                session, SYSTEM, patient_id=patient.id, department_id=department.id, now=now
            )
            tickets.append(ticket.id)
        called = await queue.call_next(session, SYSTEM, doctor_id=doctor.id, now=now)
        user = await admin.create_user(
            session,
            SYSTEM,
            username="bench",
            password_hash="-",
            role=Role.ADMIN,
            full_name="Bench",
            now=now,
        )
        token = new_secret("cq")
        session.add(
            ApiToken(
                user_id=user.id,
                token_hash=digest(token),
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
        )
    await engine.dispose()
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


# ---------------------------------------------------------------- the load processes


async def one_client(
    url: str,
    namespace: str,
    auth: dict[str, Any],
    bare: bool,
    ready: asyncio.Event,
    out: dict[str, Any],
    gate: asyncio.Semaphore,
) -> None:
    """Speak socket.io over a raw WebSocket: connect, join, record every update's latency."""
    import websockets

    prefix = f"42{namespace},"
    got: list[list[Any]] = []  # [latency ms, room, seq] per update
    out["clients"].append(got)
    async with gate:
        ws = await websockets.connect(
            f"{url}/socket.io/?EIO=4&transport=websocket",
            max_size=None,
            ping_interval=None,
            compression=None,
            open_timeout=60,
        )
        await ws.recv()  # engine.io "open"
        await ws.send(f"40{namespace},{json.dumps(auth)}")
    async for message in ws:
        if message == "2":
            await ws.send("3")
        elif message.startswith("40"):
            if bare:
                ready.set()
            else:
                await ws.send(f'{prefix}["join"]')
        elif message.startswith("44"):
            out["refused"] += 1
            ready.set()
            return
        elif message.startswith(prefix):
            received = time.time()
            event, data = json.loads(message[len(prefix) :])
            if event == "update":
                got.append([(received - data["sent_at"]) * 1000, data["room"], data["seq"]])
            elif event == "snapshot":
                ready.set()


async def load(url: str, plan: list[tuple[str, dict[str, Any]]], bare: bool) -> None:
    """Hold `plan`'s clients; say READY when all joined; report latencies on STOP."""
    out: dict[str, Any] = {"clients": [], "refused": 0}
    gate = asyncio.Semaphore(50)
    readies = [asyncio.Event() for _ in plan]
    tasks = [
        asyncio.create_task(one_client(url, ns, auth, bare, ready, out, gate))
        for (ns, auth), ready in zip(plan, readies, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 600)
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.sleep(0)
    print(json.dumps(out), flush=True)
    for task in tasks:
        task.cancel()


def start_load(
    url: str, plan: list[tuple[str, dict[str, Any]]], bare: bool
) -> subprocess.Popen[str]:
    """Start one load process with its share of the clients."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--load", url, "1" if bare else "0"],
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


def measure(
    url: str, plan: list[tuple[str, dict[str, Any]]], bare: bool, act: Any, server_pid: int
) -> dict[str, Any]:
    """Connect the clients, fire the actions, gather latencies and memory."""
    before = rss_kb(server_pid)
    share = [plan[i::LOAD_PROCESSES] for i in range(LOAD_PROCESSES)]
    loads = [start_load(url, part, bare) for part in share]
    after = rss_kb(server_pid)
    for _ in range(ACTIONS):
        act()
        time.sleep(GAP_S)
    time.sleep(2 * GAP_S)
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
    }


def run() -> dict[str, Any]:
    """Do the whole benchmark and return its JSON."""
    raise_file_limit()
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
    real_port, bare_port = free_port(), free_port()
    real = start_server([*UVICORN, "--factory", "server.asgi:create_asgi"], env, real_port)
    bare = start_server([*UVICORN, "--factory", "bench.fanout:baseline_app"], env, bare_port)
    http = httpx.Client(timeout=30)
    called = clinic["called"]
    headers = {"Authorization": f"Bearer {clinic['token']}"}

    def recall() -> None:
        url = f"http://127.0.0.1:{real_port}/api/tickets/{called}/recall"
        http.post(url, headers=headers).raise_for_status()

    def broadcast() -> None:
        http.post(f"http://127.0.0.1:{bare_port}/emit").raise_for_status()

    runs = []
    try:
        for count in COUNTS:
            plan = [
                ("/board", {"key": clinic["key"]})
                if i % 2 == 0
                else ("/patient", {"link": clinic["links"][i % TICKETS]})
                for i in range(count)
            ]
            ours = measure(f"ws://127.0.0.1:{real_port}", plan, False, recall, real.pid)
            base = measure(
                f"ws://127.0.0.1:{bare_port}", [("/board", {})] * count, True, broadcast, bare.pid
            )
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
    finally:
        http.close()
        for process in (real, bare):
            process.terminate()
            process.wait(30)
    return {
        "benchmark": "fanout",
        "database": "sqlite (embedded mode, in-memory Socket.IO manager)",
        "actions_per_run": ACTIONS,
        "action": "POST /api/tickets/<id>/recall (1 s apart)",
        "clients_split": "half /board (one room), half /patient (100 ticket rooms)",
        "load_processes": LOAD_PROCESSES,
        "runs": runs,
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        raise_file_limit()
        asyncio.run(
            load(
                sys.argv[2],
                [(ns, auth) for ns, auth in json.loads(sys.stdin.readline())],
                sys.argv[3] == "1",
            )
        )
    else:
        print(json.dumps(run()))
