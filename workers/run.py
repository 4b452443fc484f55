"""Start a worker process, or ask whether one is healthy: behind `clinic worker`."""

from __future__ import annotations

import asyncio

from workers import health
from workers.config import WorkerConfig


def run(queue: str) -> None:
    """Run the worker of `queue` ("live" or "nightly") until SIGINT/SIGTERM."""
    from arq.worker import get_kwargs

    from workers.resilient import ClinicWorker
    from workers.settings import SETTINGS

    config = WorkerConfig()
    worker = ClinicWorker(**get_kwargs(SETTINGS[queue]), config=config)
    if config.health_port:
        worker.loop.run_until_complete(
            health.serve(worker.health, config.health_host, config.health_port)
        )
    worker.run()


def check(queue: str) -> tuple[bool, str]:
    """Return whether the worker is healthy: its health port if set, else its Redis heartbeat."""
    config = WorkerConfig()
    if config.health_port:
        return asyncio.run(health.check(config.health_host, config.health_port))
    from arq.connections import RedisSettings
    from arq.worker import async_check_health
    from redis.exceptions import RedisError

    from server.config import Settings
    from server.jobs import LIVE_JOBS, NIGHTLY_JOBS

    redis = RedisSettings.from_dsn(Settings().redis_url or "redis://127.0.0.1:6379/0")
    name = NIGHTLY_JOBS if queue == "nightly" else LIVE_JOBS
    try:
        code = asyncio.run(async_check_health(redis, None, name))
    except (RedisError, OSError) as error:
        return False, f"Redis unreachable: {error}"
    return code == 0, "heartbeat found in Redis" if code == 0 else "no heartbeat in Redis"
