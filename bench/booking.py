"""Booking throughput over HTTP on MariaDB: many clients booking at once, nobody double-booked.

With no arguments it creates a `clinic_bench` database on the local MariaDB, fills a clinic,
starts the server processes (one per core, each on its own port, as behind a proxy), drives
them with concurrent HTTP clients spread evenly over the processes, checks the database
afterwards and prints one JSON object. `bookings_per_s` counts every answered booking request
(about nine in ten book; the rest find their randomly chosen slot full).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pymysql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import bench_clinic, bench_login, bench_patients, free_port, percentile, server

DB = "clinic_bench"
URL = f"mysql+aiomysql://root@127.0.0.1/{DB}"


def recreate_database() -> None:
    """Drop and create the bench database, then migrate it."""
    from server.migrate import upgrade

    connection = pymysql.connect(host="127.0.0.1", user="root")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB}")
        cursor.execute(f"CREATE DATABASE {DB} CHARACTER SET utf8mb4")
    connection.close()
    upgrade(URL)


async def fill_clinic(doctors: int, patients: int) -> tuple[str, list[int], list[int]]:
    """Create doctors with a day of slots, patients and a staff token."""
    from sqlalchemy import select

    from server.actions import admin
    from server.auth.actor import SYSTEM
    from server.db import transaction
    from server.models import Role, Slot

    now = datetime.now(UTC)
    start = (now + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    async with bench_clinic(URL) as services, transaction(services.database) as db:
        department = await admin.create_department(
            db, SYSTEM, code="BEN", name="Bench", token_prefix="B", rooms=[], now=now
        )
        for index in range(doctors):
            doctor = await admin.create_doctor(
                db, SYSTEM, department_id=department.id, name=f"Dr {index}", now=now
            )
            await admin.create_session(
                db,
                SYSTEM,
                doctor_id=doctor.id,
                starts_at=start,
                ends_at=start + timedelta(hours=12),
                now=now,
                slot_minutes=10,
                capacity_per_slot=2,
                overbook_cap=1,
            )
        token = await bench_login(db, Role.STAFF, now, username="bench")
        people = await bench_patients(db, patients, "B", now)
    async with bench_clinic(URL) as services, services.database() as db:
        slots = list(await db.scalars(select(Slot.id)))
    return token, slots, people


async def drive(
    urls: list[str],
    token: str,
    slots: list[int],
    patients: list[int],
    total: int,
    concurrency: int,
) -> dict[str, object]:
    """Send `total` bookings from `concurrency` clients; collect latencies and outcomes.

    Client i talks to server i mod n over its own kept-alive connection, as a proxy would
    spread them.
    """
    rng = random.Random(len(patients))
    jobs = [(rng.choice(slots), patients[i % len(patients)]) for i in range(total)]
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(url: str) -> None:
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(url, headers=headers, connector=connector) as http:
            while jobs:
                slot_id, patient_id = jobs.pop()
                began = time.perf_counter()
                async with http.post(
                    "/api/appointments", json={"patient_id": patient_id, "slot_id": slot_id}
                ) as response:
                    body = await response.json()
                latencies.append((time.perf_counter() - began) * 1000)
                key = "booked" if response.status == 201 else body.get("code", str(response.status))
                outcomes[key] = outcomes.get(key, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(urls[i % len(urls)]) for i in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {"elapsed": elapsed, "latencies": latencies, "outcomes": outcomes}


def disk_sync_ms(writes: int = 50) -> float:
    """Time a synchronous 4 KiB write on MariaDB's disk (median ms): what each commit waits for.

    Every booking is one committed transaction, and MariaDB syncs its log on commit
    (innodb_flush_log_at_trx_commit=1), so this latency, which differs between machines and
    moments far more than the code does, bounds the throughput (docs/architecture.md).
    """
    connection = pymysql.connect(host="127.0.0.1", user="root")
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@datadir")
        datadir = Path(cursor.fetchone()[0])
    connection.close()
    folder = datadir.parent if os.access(datadir.parent, os.W_OK) else Path(tempfile.gettempdir())
    times: list[float] = []
    with tempfile.NamedTemporaryFile(dir=folder, prefix="clinic-bench-sync-") as probe:
        descriptor = os.open(probe.name, os.O_WRONLY | os.O_DSYNC)
        try:
            for _ in range(writes):
                began = time.perf_counter()
                os.write(descriptor, b"\0" * 4096)
                times.append((time.perf_counter() - began) * 1000)
        finally:
            os.close(descriptor)
    return round(percentile(times, 50), 2)


def double_bookings() -> int:
    """Count overfull slots, counters that disagree with rows, repeated tokens and bookings."""
    connection = pymysql.connect(host="127.0.0.1", user="root", database=DB)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM slots WHERE booked > capacity + overbook_cap")
        over = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FROM slots s WHERE s.booked <> (SELECT COUNT(*) FROM appointments a "
            "WHERE a.slot_id = s.id AND a.status <> 'cancelled')"
        )
        drift = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) - COUNT(DISTINCT department_id, day, number) FROM tickets")
        repeated = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT patient_id, slot_id FROM appointments "
            "WHERE status <> 'cancelled' GROUP BY patient_id, slot_id HAVING COUNT(*) > 1) d"
        )
        same_patient = cursor.fetchone()[0]
    connection.close()
    return int(over + drift + repeated + same_patient)


def main() -> None:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--doctors", type=int, default=60, help="each with 216 places")
    args = parser.parse_args()
    sync_before = disk_sync_ms()
    recreate_database()
    warm_up = 200
    token, slots, people = asyncio.run(fill_clinic(args.doctors, args.bookings + warm_up))
    patients, warm_patients = people[: args.bookings], people[args.bookings :]
    var_dir = tempfile.TemporaryDirectory(prefix="clinic-bench-")  # not the repo's var/ or model
    env = {
        "DATABASE_URL": URL,
        "SECRET_KEY": "bench-secret-key-bench-secret-key-0123",
        "CLINIC_DB_POOL_SIZE": "10",
        "CLINIC_VAR_DIR": var_dir.name,
    }
    os.environ.pop("REDIS_URL", None)
    with var_dir, ExitStack() as stack:
        urls = [stack.enter_context(server(env, free_port())) for _ in range(args.workers)]
        # Warm up pools and caches with other patients, so that nobody is already booked.
        asyncio.run(drive(urls, token, slots, warm_patients, warm_up, concurrency=8))
        result = asyncio.run(
            drive(urls, token, slots, patients, args.bookings, concurrency=args.concurrency)
        )
    latencies = result["latencies"]
    outcomes = result["outcomes"]
    assert isinstance(latencies, list) and isinstance(outcomes, dict)
    refused_full = outcomes.get("SLOT_FULL", 0) + outcomes.get("ALREADY_BOOKED", 0)
    print(
        json.dumps(
            {
                "bookings_per_s": round(len(latencies) / float(result["elapsed"]), 1),  # type: ignore[arg-type]
                # The successful ones alone, for who counts only those.
                "booked_per_s": round(outcomes.get("booked", 0) / float(result["elapsed"]), 1),  # type: ignore[arg-type]
                "p50_ms": round(percentile(latencies, 50), 1),
                "p99_ms": round(percentile(latencies, 99), 1),
                "errors": sum(outcomes.values()) - outcomes.get("booked", 0) - refused_full,
                "double_bookings": double_bookings(),
                "requests": len(latencies),
                "booked": outcomes.get("booked", 0),
                "refused_full": refused_full,
                "outcomes": outcomes,
                "concurrency": args.concurrency,
                "server_processes": args.workers,
                "database": "mariadb",
                "load_average": [round(load, 2) for load in os.getloadavg()],
                # Before and after the run: the disk's sync latency bounds commits per second.
                "disk_sync_ms": [sync_before, disk_sync_ms()],
            }
        )
    )


if __name__ == "__main__":
    main()
