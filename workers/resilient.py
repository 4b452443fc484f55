"""An arq worker that rides out Redis outages instead of exiting, and reports its health.

arq's own `Worker` leaves its poll loop on the first Redis error and then fails again in
`close()`: the process exits and re-plans, deliveries and reminders stop until someone restarts
it. This worker retries with a doubling wait instead, keeps its cron schedule, and tells a
supervisor (systemd's watchdog, an HTTP health port, `clinic worker --check`) that it lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import Any

from arq.connections import create_pool, log_redis_info
from arq.constants import in_progress_key_prefix
from arq.utils import poll, timestamp_ms
from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from workers import systemd
from workers.config import WorkerConfig
from workers.health import Health

log = logging.getLogger(__name__)
# What a lost, refused or restarting Redis raises.
OUTAGE = (RedisError, OSError)
# Of those, the ones that mean the connection itself is gone.
LOST = (RedisConnectionError, RedisTimeoutError, OSError)


class ClinicWorker(Worker):
    """arq's worker, with reconnects, a health record and systemd notifications."""

    def __init__(self, *args: Any, config: WorkerConfig | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config = config or WorkerConfig()
        self.health = Health(queue=self.queue_name or "", stale_s=self.config.stale_s)
        self._backoff_s = self.config.reconnect_min_s
        self._petted = 0.0

    async def main(self) -> None:
        """Connect (waiting for Redis as long as it takes), start up, then poll forever."""
        await self._connect()
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        async for _ in poll(self.poll_delay_s):
            await self._poll_iteration()
            if not self.health.ready and self.health.redis_up:  # startup crons are queued
                self.health.ready = True
                systemd.notify("READY=1")
                log.info("worker ready on queue %s", self.queue_name)

    async def _connect(self) -> None:
        while self._pool is None:
            try:
                pool = await create_pool(
                    self.redis_settings,
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
                await log_redis_info(pool, log.info)
                self._pool = pool
            except OUTAGE as error:
                await self._outage(error)

    async def _poll_iteration(self) -> None:
        """One round of arq's loop; a Redis error waits and tries again, it never ends the loop."""
        self._forget_jobs_failed_on_redis()
        try:
            await super()._poll_iteration()
        except OUTAGE as error:
            await self._outage(error)
            return
        if self.health.redis_down_since is not None:
            log.warning("Redis is back; the worker carries on")
        self._backoff_s = self.config.reconnect_min_s
        self.health.round_done()
        self._watchdog()

    def _forget_jobs_failed_on_redis(self) -> None:
        """Drop finished jobs that failed on Redis itself (recording their end), logging each.

        arq's round re-raises one such failure per round: after an outage, every job that ended
        during it would cost the loop one more failed round and a full wait after Redis is back.
        Such a job stays queued in Redis and runs again once its in-progress mark expires.
        """
        for job_id, task in list(self.tasks.items()):
            if task.done() and not task.cancelled() and isinstance(task.exception(), OUTAGE):
                del self.tasks[job_id]
                log.warning("job %s could not record its end: %s", job_id, task.exception())

    def _watchdog(self) -> None:
        """Tell systemd's watchdog the loop lives, at most once a second."""
        now = time.monotonic()
        if now - self._petted >= 1.0:
            self._petted = now
            systemd.notify("WATCHDOG=1")

    async def _outage(self, error: BaseException) -> None:
        if self.health.redis_up or self._backoff_s == self.config.reconnect_min_s:
            log.warning("Redis unreachable (%s); retrying in %.1f s", error, self._backoff_s)
        else:
            log.info("Redis still unreachable (%s); retrying in %.1f s", error, self._backoff_s)
        self.health.redis_lost(error)
        self._watchdog()  # the loop lives: a Redis outage is no reason to restart
        if isinstance(error, LOST):
            await self._drop_idle_connections()
        await asyncio.sleep(self._backoff_s)
        self._backoff_s = min(self._backoff_s * 2, self.config.reconnect_max_s)

    async def _drop_idle_connections(self) -> None:
        """Close the pooled connections, so that none opened before an outage is used after it.

        A restarted Redis has reset them all, but redis-py finds that out only by using one:
        each would fail once after Redis is back (in a job, a cron, the next round), and every
        failure costs this loop a full wait. Connections in use fail and close by themselves.
        """
        if self._pool is not None:
            with contextlib.suppress(*OUTAGE):
                await self._pool.connection_pool.disconnect(inuse_connections=False)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """arq's `start_jobs`, giving back its job slot when Redis fails mid-way.

        arq's own leaks the slot on such an error; after `max_jobs` outages it would take no job.
        """
        for job_id_b in job_ids:
            await self.sem.acquire()
            if self.job_counter >= self.max_jobs:
                self.sem.release()
                return
            self.job_counter += 1
            job_id = job_id_b.decode()
            try:
                started = await self._claim(job_id)
            except BaseException:
                self._release_sem_dec_counter_on_complete()
                raise
            if started is None:
                self._release_sem_dec_counter_on_complete()
                continue
            task = self.loop.create_task(self.run_job(job_id, started))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task

    async def _claim(self, job_id: str) -> int | None:
        """Mark the job in progress unless it runs elsewhere; return its score, or None."""
        in_progress_key = in_progress_key_prefix + job_id
        async with self.pool.pipeline(transaction=True) as pipe:
            await pipe.watch(in_progress_key)
            ongoing = await pipe.exists(in_progress_key)
            score = await pipe.zscore(self.queue_name, job_id)
            if ongoing or not score or score > timestamp_ms():
                return None
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.psetex(in_progress_key, int(self.in_progress_timeout_s * 1000), b"1")
            try:
                await pipe.execute()
            except (ResponseError, WatchError):
                return None
        return int(score)

    async def close(self) -> None:
        """Finish running jobs and shut down, whether or not Redis answers."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        systemd.notify("STOPPING=1")
        if not self._pool:
            return
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        with contextlib.suppress(*OUTAGE):
            await self.pool.delete(self.health_check_key)
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        with contextlib.suppress(*OUTAGE):
            await self.pool.close(close_connection_pool=True)
        self._pool = None
