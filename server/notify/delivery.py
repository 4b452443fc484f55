"""Send what the outbox holds: claim a batch, send it concurrently, record every outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from server.models.outbox import OutboxMessage, OutboxStatus
from server.notify import outbox
from server.notify.channels import PermanentError, TransientError, Transport, check_address
from server.notify.settings import NotifySettings
from server.services import Services

log = logging.getLogger(__name__)
SKIPPED_ROUNDS = 5
SKIPPED_WAIT_S = 0.05


@dataclass
class Report:
    """How many messages one delivery run sent, put back for later, and gave up on."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    batches: int = 0
    owner: str = field(default_factory=lambda: str(uuid.uuid4()))

    def count(self, status: OutboxStatus) -> None:
        """Add one outcome."""
        if status is OutboxStatus.SENT:
            self.sent += 1
        elif status is OutboxStatus.PENDING:
            self.retrying += 1
        else:
            self.failed += 1


def backoff_s(config: NotifySettings, attempts: int) -> float:
    """Wait before the next attempt: doubling from the base, capped."""
    return float(min(config.backoff_base_s * 2 ** max(attempts - 1, 0), config.backoff_max_s))


def retry_or_fail(
    message: OutboxMessage, error: str, config: NotifySettings, now: datetime
) -> outbox.Outcome:
    """Put the message back for a later attempt, or fail it once attempts run out."""
    if message.attempts >= config.max_attempts:
        return outbox.Outcome(message.id, OutboxStatus.FAILED, now, f"gave up: {error}")
    later = now + timedelta(seconds=backoff_s(config, message.attempts))
    return outbox.Outcome(message.id, OutboxStatus.PENDING, later, error)


async def send_one(
    message: OutboxMessage,
    transports: Mapping[str, Transport],
    config: NotifySettings,
    services: Services,
) -> outbox.Outcome:
    """Send one message; whatever goes wrong stays with this message alone."""
    try:
        check_address(message.channel, message.to_address)
        async with asyncio.timeout(config.send_timeout_s):
            provider_id = await transports[message.channel].send(message)
    except PermanentError as exc:
        return outbox.Outcome(message.id, OutboxStatus.FAILED, services.clock(), str(exc))
    except (TransientError, TimeoutError) as exc:
        reason = str(exc) or f"no answer within {config.send_timeout_s:g} s"
        return retry_or_fail(message, reason, config, services.clock())
    except Exception as exc:  # a bug in one message must not stop the batch
        log.exception("sending outbox message %d failed unexpectedly", message.id)
        return retry_or_fail(message, f"unexpected: {exc!r}", config, services.clock())
    return outbox.Outcome(message.id, OutboxStatus.SENT, services.clock(), provider_id=provider_id)


async def deliver_batch(
    services: Services,
    transports: Mapping[str, Transport],
    config: NotifySettings,
    report: Report,
) -> int:
    """Claim one batch, send it, record it; return how many messages were claimed."""
    channels = tuple(transports)  # a run claims only what it has a transport for
    claimed = await services.run(
        lambda s: outbox.claim(
            s, report.owner, services.clock(), config.lease_s, config.batch_size, channels
        )
    )
    if not claimed:
        return 0
    gate = asyncio.Semaphore(config.concurrency)

    async def gated(message: OutboxMessage) -> outbox.Outcome:
        async with gate:
            return await send_one(message, transports, config, services)

    async with renewed(services, report.owner, config.lease_s):
        outcomes = await asyncio.gather(*(gated(m) for m in claimed))
    await services.run(lambda s: outbox.record(s, report.owner, outcomes, services.clock()))
    for outcome in outcomes:
        report.count(outcome.status)
    report.batches += 1
    return len(claimed)


@contextlib.asynccontextmanager
async def renewed(services: Services, owner: str, lease_s: float) -> AsyncIterator[None]:
    """Renew `owner`'s claims every third of the lease while the body sends.

    The lease can then be short: a killed sender's claims go out again `lease_s` after its last
    renewal, while a live one sending to a slow provider keeps them.
    """

    async def renew_forever() -> None:
        while True:
            await asyncio.sleep(lease_s / 3)
            try:
                await services.run(
                    partial(_renew, owner, services.clock() + timedelta(seconds=lease_s))
                )
            except Exception:  # a missed renewal risks a duplicate, never a loss
                log.warning("renewing outbox claims of %s failed", owner, exc_info=True)

    task = asyncio.create_task(renew_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _renew(owner: str, until: datetime, db: AsyncSession) -> int:
    return await outbox.renew(db, owner, until)


async def deliver_due(
    services: Services, transports: Mapping[str, Transport], config: NotifySettings
) -> Report:
    """Send batches until nothing is due; messages waiting for a retry stay for a later run."""
    report = Report()
    channels = tuple(transports)
    for _ in range(SKIPPED_ROUNDS):
        while await deliver_batch(services, transports, config, report):
            pass
        # A claim skips rows another run's claim holds locked for a moment (on InnoDB even rows
        # of other channels it only scanned): look again, briefly, while some are still due.
        if not await services.read(lambda s: outbox.due_count(s, services.clock(), channels)):
            break
        await asyncio.sleep(SKIPPED_WAIT_S)
    if report.batches:
        log.info(
            "outbox: %d sent, %d to retry, %d failed", report.sent, report.retrying, report.failed
        )
    return report
