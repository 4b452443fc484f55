"""arq worker settings: `clinic worker` (or `arq workers.settings.WorkerSettings`)."""

from __future__ import annotations

from typing import Any

from arq import cron, func
from arq.connections import RedisSettings

from server.auth.ratelimit import MemoryLimiter
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.events import EventHub
from server.jobs import ArqJobs, retrying
from server.notify.runtime import attach as attach_notifications
from server.realtime.server import attach_worker_emitter
from server.scheduling.hooks import attach as attach_scheduler
from server.state import ClinicState
from workers.allocation_jobs import allocate_upcoming
from workers.jobs import FUNCTIONS
from workers.ml_jobs import retrain_no_show
from workers.notify_jobs import deliver_outbox, send_due_reminders

_settings = Settings()


async def startup(ctx: dict[str, Any]) -> None:
    """Open the database and the job queue once per worker process."""
    engine = make_engine(_settings)
    state = ClinicState(
        settings=_settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        hub=EventHub(),
        limiter=MemoryLimiter(1, 1),
        redis=ctx["redis"],
    )
    state.jobs = ArqJobs(ctx["redis"])
    state.extras["on_start"] = [attach_scheduler, attach_notifications, attach_worker_emitter]
    for hook in state.extras.get("on_start", []):
        await hook(state)
    ctx["state"] = state


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what startup opened."""
    state: ClinicState = ctx["state"]
    for hook in reversed(state.extras.get("on_stop", [])):
        await hook(state)
    await state.engine.dispose()


class WorkerSettings:
    """What `arq` reads to run a worker."""

    # Registered under the names the server enqueues them by.
    functions = [func(retrying(job), name=name) for name, job in FUNCTIONS.items()]  # type: ignore[arg-type]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(_settings.redis_url or "redis://127.0.0.1:6379/0")
    max_jobs = 20
    job_timeout = 60
    keep_result = 0
    # arq's default (0.5 s) would add up to half a second before a re-plan reaches the screens.
    poll_delay = 0.05
    cron_jobs = [
        cron(send_due_reminders, second={0}, run_at_startup=True),
        cron(deliver_outbox, second={15, 45}),  # picks up retries whose backoff has passed
        cron(retrain_no_show, hour={2}, minute={30}, timeout=1800),  # nightly, then re-scores
        cron(allocate_upcoming, hour={3}, minute={15}),  # after re-scoring: fresh show probs
    ]
