"""Reminders before appointments, outside the clinic's quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Appointment
from server.models.outbox import OutboxMessage
from server.notify.compose import Composer
from server.queue.state import TicketStatus


def quiet_until(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """Return when the quiet hours around `now` end, or None if `now` is not quiet."""
    local = now.astimezone(zone)
    moment = local.time()
    quiet = start <= moment < end if start <= end else (moment >= start or moment < end)
    if not quiet:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def reminder_lead(appointment: Appointment, leads: list[int], now: datetime) -> int | None:
    """Return the lead (minutes) whose reminder is due now: the latest one passed.

    Reminders missed while no worker ran are not sent late; a reminder time before the
    booking is skipped, since the confirmation said it all.
    """
    if appointment.scheduled_at is None:
        return None  # no time, nothing to remind of
    for lead in sorted(leads):
        due = appointment.scheduled_at - timedelta(minutes=lead)
        if due <= now:
            return lead if appointment.booked_at < due else None
    return None


async def queue_due_reminders(db: AsyncSession, composer: Composer, now: datetime) -> int:
    """Write the reminders that are due; return how many were written."""
    leads = composer.config.reminder_leads_min
    if not leads:
        return 0
    booked = list(
        (
            await db.scalars(
                select(Appointment).where(
                    Appointment.status == TicketStatus.BOOKED,
                    Appointment.scheduled_at > now,
                    Appointment.scheduled_at <= now + timedelta(minutes=max(leads)),
                )
            )
        )
        .unique()
        .all()
    )
    written = set(
        await db.scalars(
            select(OutboxMessage.idem_key).where(
                OutboxMessage.appointment_id.in_([a.id for a in booked]),
                OutboxMessage.kind == "reminder",
            )
        )
    )
    config = composer.config
    send_at = quiet_until(now, composer.renderer.zone, config.quiet_start, config.quiet_end)
    count = 0
    for appointment in booked:
        lead, starts = reminder_lead(appointment, leads, now), appointment.scheduled_at
        if lead is None or starts is None or (send_at is not None and send_at >= starts):
            continue  # not due, or the quiet hours last until the appointment
        occasion = f"{lead}m@{starts:%Y%m%dT%H%M}"
        if f"{appointment.id}:reminder:{occasion}" in written:
            continue
        count += await composer.to_ticket(
            db, appointment.ticket.id, "reminder", occasion, now, not_before=send_at
        )
    return count
