"""Wrap each job for arq: its own timeout, the shared retry policy, and crash-proof coalescing."""

from __future__ import annotations

from typing import Any

from arq import func
from arq.worker import Function

from server.coalescing import run_coalesced
from server.jobs import KEY_ARG, JobFunction, retrying


def coalesced(name: str, job: JobFunction, queue: str, lease_s: float) -> JobFunction:
    """Run `job` through its key's lease when it was queued with one (see server.coalescing)."""

    async def run(ctx: dict[str, Any], *args: Any, coalesce_key: str | None = None) -> Any:
        if coalesce_key is None:
            return await job(ctx, *args)
        redis = ctx["redis"]

        async def requeue(defer_s: float) -> None:
            await redis.enqueue_job(
                name, *args, _queue_name=queue, _defer_by=defer_s or None, **{KEY_ARG: coalesce_key}
            )

        return await run_coalesced(
            redis, coalesce_key, lambda: job(ctx, *args), requeue, lease_s=lease_s
        )

    run.__name__ = job.__name__
    run.__doc__ = job.__doc__
    return run


def arq_function(
    name: str, job: JobFunction, *, queue: str, timeout_s: float, lease_s: float
) -> Function:
    """Register `job` under `name` with a timeout sized to it."""
    wrapped = retrying(coalesced(name, job, queue, lease_s))
    return func(wrapped, name=name, timeout=timeout_s)  # type: ignore[arg-type]
