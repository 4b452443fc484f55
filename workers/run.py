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
    from arq.worker import async_check_health

    from workers.settings import SETTINGS  # the Redis address and queue name

    settings = SETTINGS[queue]
    code = asyncio.run(async_check_health(settings.redis_settings, None, settings.queue_name))  # type: ignore[attr-defined]
    return code == 0, "heartbeat found in Redis" if code == 0 else "no heartbeat in Redis"
