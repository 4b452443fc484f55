"""arq worker settings: `clinic worker` (live jobs) and `clinic worker --queue nightly`.

The live worker runs re-plans, deliveries, reminders and allocations, each with a timeout sized
to it; the nightly worker retrains the no-show model on a queue of its own, so a retrain's long
timeout never holds up a live job (arq keeps a killed job "in progress" for the longest timeout
of its worker). Both can also be run as `arq workers.settings.WorkerSettings` (without the
reconnects and health reporting of `clinic worker`).
"""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Function

from server.background.allocation import allocate_upcoming
from server.background.ml import retrain_no_show
from server.background.registry import FUNCTIONS
from server.background.rotas import create_rota_sessions
from server.background.waitlist import offer_waitlist
from server.config import Settings
from server.jobs import LIVE_JOBS, NIGHTLY_JOBS
from server.notify.scheduler import deliver_outbox, send_due_reminders
from server.runtime import ProcessRole, Runtime, build_runtime
from server.tuning import SolverSettings
from workers.config import WorkerConfig
from workers.functions import arq_function

_settings = Settings()
_config = WorkerConfig()
_solver = SolverSettings()
RUNTIME = "runtime"  # the key of the worker's runtime in arq's context


def timeouts(solver: SolverSettings) -> dict[str, float]:
    """Size each job's timeout to the job: seconds for a re-plan, half an hour for a retrain."""
    return {
        # greedy + CP-SAT (its own time limit) + two short transactions, up to 3 stale retries
        # and 3 coalesced rounds; arq cancels a job that outlives this.
        "resequence": 20 + 9 * solver.resequence_time_limit_s,
        "allocate": 30 + 3 * solver.allocation_time_limit_s,
        "deliver_outbox": 300,  # batches until nothing is due; each send has its own timeout
        "deliver_fhir": 300,  # the same, for FHIR subscription notifications
        "send_due_reminders": 60,
        "allocate_upcoming": 60,
        "offer_waitlist": 60,
        "create_rota_sessions": 300,
        "rescore_bookings": 600,
        "retrain_no_show": 1800,
    }


NIGHTLY = frozenset({"retrain_no_show", "rescore_bookings", "create_rota_sessions"})


def functions(queue: str, solver: SolverSettings, lease_s: float) -> list[Function]:
    """Return the arq functions one queue's worker runs."""
    limits = timeouts(solver)
    wanted = [name for name in FUNCTIONS if (name in NIGHTLY) == (queue == NIGHTLY_JOBS)]
    return [
        arq_function(name, FUNCTIONS[name], queue=queue, timeout_s=limits[name], lease_s=lease_s)
        for name in wanted
    ]


async def startup(ctx: dict[str, Any]) -> None:
    """Start this worker's runtime (server/runtime.py) on arq's Redis; jobs read it from ctx."""
    runtime = build_runtime(_settings, ProcessRole.WORKER, redis=ctx["redis"])
    await runtime.start()
    ctx.update(runtime.job_context())
    ctx[RUNTIME] = runtime


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what startup opened."""
    runtime: Runtime | None = ctx.get(RUNTIME)
    if runtime is not None:
        await runtime.stop()


_limits = timeouts(_solver)


class WorkerSettings:
    """What `arq` reads to run the live worker."""

    queue_name = LIVE_JOBS
    functions = functions(LIVE_JOBS, _solver, _config.lease_s)
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(_settings.redis_url or "redis://127.0.0.1:6379/0")
    max_jobs = 20
    job_timeout = 60
    keep_result = 0
    # arq's default (0.5 s) would add up to half a second before a re-plan reaches the screens.
    poll_delay = 0.05
    # `clinic worker --check` without a health port reads this key; it lives interval + 1 s.
    health_check_interval = 5
    cron_jobs = [
        cron(
            send_due_reminders,
            second={0},
            run_at_startup=True,
            timeout=_limits["send_due_reminders"],
        ),
        # Retries whose backoff has passed, and claims of a killed worker once their lease ends.
        cron(
            deliver_outbox,
            second={5, 15, 25, 35, 45, 55},
            run_at_startup=True,
            timeout=_limits["deliver_outbox"],
        ),
        # Waitlist offers nobody answered in time go to the next patient.
        cron(
            offer_waitlist,
            second={30},
            run_at_startup=True,
            timeout=_limits["offer_waitlist"],
        ),
    ]


class NightlySettings:
    """What `arq` reads to run the nightly worker: retraining, re-scoring, allocating ahead."""

    queue_name = NIGHTLY_JOBS
    functions = functions(NIGHTLY_JOBS, _solver, _config.lease_s)
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = WorkerSettings.redis_settings
    max_jobs = 2
    job_timeout = 600
    keep_result = 0
    poll_delay = 1.0
    health_check_interval = 5
    cron_jobs = [
        cron(retrain_no_show, hour={2}, minute={30}, timeout=_limits["retrain_no_show"]),
        # After re-scoring: fresh show probabilities; it queues one live `allocate` job a day.
        cron(allocate_upcoming, hour={3}, minute={15}, timeout=_limits["allocate_upcoming"]),
        # The weekly rota: the next N weeks' sessions (the worker's clock; nothing made twice).
        cron(create_rota_sessions, hour={2}, minute={0}, timeout=_limits["create_rota_sessions"]),
    ]


SETTINGS: dict[str, type] = {"live": WorkerSettings, "nightly": NightlySettings}
