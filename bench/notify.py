"""Benchmark delivery: 10,000 queued SMS through delivery workers to a local fake of Twilio.

With no arguments it makes a fresh SQLite database, starts the fake Twilio API and worker
processes itself, and prints one JSON object (lost and duplicated are counted at the fake).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from server.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))  # `python bench/notify.py` also finds tests/ (the fake)

from server.db import make_database, make_engine
from server.migrate import upgrade
from server.models.outbox import OutboxMessage
from tests.notify.fake_twilio import FakeTwilio


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    return parser.parse_args()


async def fill(database_url: str, count: int) -> None:
    """Queue `count` SMS with distinct bodies, in bulk."""
    from server.config import Settings

    engine = make_engine(Settings(database_url=database_url))
    now = datetime.now(UTC)
    rows = [
        {
            "idem_key": f"bench:{n}",
            "appointment_id": None,
            "kind": "bench",
            "channel": "sms",
            "to_address": f"+1555{n:07d}",
            "subject": "",
            "body": f"bench message {n}",
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in range(count)
    ]
    async with make_database(engine)() as db, db.begin():
        for start in range(0, count, 1000):
            await db.execute(insert(OutboxMessage), rows[start : start + 1000])
    await engine.dispose()


def worker_env(args: argparse.Namespace, database_url: str, fake: FakeTwilio) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CLINIC_NOTIFIER": "twilio",
        "CLINIC_NOTIFY_TWILIO_ACCOUNT_SID": fake.account_sid,
        "CLINIC_NOTIFY_TWILIO_AUTH_TOKEN": fake.auth_token,
        "CLINIC_NOTIFY_TWILIO_FROM": "+15550000000",
        "CLINIC_NOTIFY_TWILIO_API_BASE": fake.url,
        "CLINIC_NOTIFY_BATCH_SIZE": str(args.batch),
        "CLINIC_NOTIFY_CONCURRENCY": str(args.concurrency),
    }


async def bench(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, database_url)
    await fill(database_url, args.messages)
    fake = FakeTwilio()
    await fake.start()
    env = worker_env(args, database_url, fake)
    started = time.perf_counter()
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.notify.runner",
            "--until-empty",
            env=env,
            cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(args.workers)
    ]
    outputs = await asyncio.gather(*(w.communicate() for w in workers))
    seconds = time.perf_counter() - started
    await fake.stop()
    copies = Counter(fake.bodies())
    expected = {f"bench message {n}" for n in range(args.messages)}
    reports = [json.loads(out.decode() or "{}") for out, _ in outputs]
    return {
        "benchmark": "notify",
        "messages": args.messages,
        "workers": args.workers,
        "batch": args.batch,
        "concurrency": args.concurrency,
        "database": database_url.split(":", 1)[0],
        "seconds": round(seconds, 2),
        "messages_per_s": round(len(copies) / seconds, 1),
        "lost": len(expected - set(copies)),
        "duplicated": sum(n - 1 for n in copies.values()),
        "sent_per_worker": [r.get("sent") for r in reports],
        "failed": sum(r.get("failed", 0) for r in reports),
        "worker_exit_codes": [w.returncode for w in workers],
    }


def main() -> None:
    args = parse()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        print(json.dumps(asyncio.run(bench(args, url))))


if __name__ == "__main__":
    main()
