"""Turn queue events into outbox rows inside the action's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.events import EventKind, QueueEvent
from server.models import Appointment, Ticket
from server.models.appointments import CheckinMethod
from server.notify.compose import Composer
from server.notify.moves import moves_in_transaction
from server.notify.waitlist import move_facts
from server.notify.waits import grown_waits
from server.queries.queues import department_snapshot

K = EventKind
# The event kinds that send their own patient a message, and the template each uses.
DIRECT = {
    K.BOOKED: "confirmation",
    K.WALK_IN: "confirmation",
    K.RESCHEDULED: "rescheduled",
    K.CANCELLED: "cancelled",
    K.CALLED: "called",
    K.RECALLED: "called",
}
# The kinds after which someone may have come within N of the head of a line.
QUEUE_SHIFTS = frozenset(
    {K.CALLED, K.CANCELLED, K.TRANSFERRED, K.CHECKED_IN, K.WALK_IN, K.REQUEUED, K.NO_SHOW}
)
# An emergency may push the others back; a closed session leaves its bookings without a doctor.
DELAYS = frozenset({K.EMERGENCY_INSERTED})
SESSION_ENDS = frozenset({K.SESSION_CLOSED})
# The kinds that send nothing. A test holds every kind to at least one of these sets, so that
# a new kind is placed on purpose, not forgotten.
# A late doctor's "your turn moved" message comes from the re-plan's diff (`MOVES`), which
# any kind that re-planned in its transaction may carry; the kinds themselves send nothing.
SILENT = frozenset(
    {
        K.STARTED,
        K.COMPLETED,
        K.SKIPPED,
        K.RESEQUENCED,
        K.DESK_OPENED,
        K.DESK_CLOSED,
        K.SESSION_DELAYED,
        K.SETUP_CHANGED,
        K.ACCESS_ENDED,
    }
)
DeliverAfterCommit = Callable[[AsyncSession], None]


@dataclass(frozen=True, slots=True)
class NotifyListener:
    """The hub's in-transaction listener for notifications."""

    composer: Composer
    deliver_after_commit: DeliverAfterCommit

    async def __call__(self, db: AsyncSession, event: QueueEvent) -> None:
        """Write the messages `event` calls for; schedule delivery after commit."""
        now = datetime.fromisoformat(event.at)
        wrote = False
        template = DIRECT.get(event.kind)
        extra: dict[str, Any] = {}
        if event.kind is K.CANCELLED and event.extra.get("rota"):
            # The clinic withdrew the session (closure, leave, a rota change), not the patient.
            template, extra = "rota_cancelled", {"cause": str(event.extra["rota"])}
            offer_id = event.extra.get("offer_id")
            if offer_id is not None:
                # A new time is held for them: the same news, with the offer's link.
                moved = await move_facts(db, self.composer, int(offer_id), event.ticket_id)
                if moved is not None:
                    template, extra = "rota_moved", extra | moved
        if template is not None:
            occasion = await self.occasion(db, event, template)
            wrote = await self.composer.to_ticket(
                db, event.ticket_id, template, occasion, now, **extra
            )
        if event.kind in QUEUE_SHIFTS:
            wrote = await self.ahead(db, event, now) or wrote
        if event.kind in DELAYS:
            wrote = await self.delayed(db, event, now) or wrote
        if event.kind in SESSION_ENDS and event.extra.get("booking"):
            # Walk-ins are at the desk and see the board; bookings may still be at home.
            occasion = f"session{event.extra.get('session_id')}"
            wrote = (
                await self.composer.to_ticket(db, event.ticket_id, "session_closed", occasion, now)
                or wrote
            )
        # Whatever re-planned the line in this transaction may have put someone well behind
        # the time they were shown (a late doctor, above all): "your turn moved". An emergency
        # has its own message.
        if event.kind not in DELAYS:
            day = date.fromisoformat(event.day)
            wrote = (
                await moves_in_transaction(db, self.composer, event.department_id, day, now)
                or wrote
            )
        if wrote:
            self.deliver_after_commit(db)

    async def occasion(self, db: AsyncSession, event: QueueEvent, template: str) -> str:
        """Name what this message is about, so that the same occasion never sends twice."""
        if template == "called":
            ticket = await db.get(Ticket, event.ticket_id)
            return f"call{ticket.call_count if ticket else 0}"
        if template == "rescheduled":
            return event.at  # each move is its own news, even back to an earlier slot
        return "once"

    async def ahead(self, db: AsyncSession, event: QueueEvent, now: datetime) -> bool:
        """Tell each patient once when N or fewer are ahead of them in their line."""
        limit = self.composer.config.ahead_threshold
        snapshot = await department_snapshot(
            db,
            event.department_id,
            date.fromisoformat(event.day),
            now,
            names=False,
            default_min=self.composer.settings.default_consultation_min,
        )
        wrote = False
        near: list[tuple[int, int]] = []
        for ticket in snapshot["tickets"]:
            position = ticket["position"]
            if ticket["status"] != "waiting" or position is None:
                continue
            if position - 1 <= self.composer.config.come_now_ahead:
                near.append((ticket["ticket_id"], position - 1))
            if position - 1 <= limit:
                wrote = (
                    await self.composer.to_ticket(
                        db,
                        ticket["ticket_id"],
                        "ahead",
                        f"dept{event.department_id}",
                        now,
                        ahead=position - 1,
                    )
                    or wrote
                )
        return await self.come_now(db, event, near, now) or wrote

    async def come_now(
        self, db: AsyncSession, event: QueueEvent, near: list[tuple[int, int]], now: datetime
    ) -> bool:
        """Ask a patient who checked in from their phone to come in once few are ahead."""
        if not near:
            return False
        remote = set(
            await db.scalars(
                select(Ticket.id)
                .join(Appointment, Ticket.appointment_id == Appointment.id)
                .where(
                    Ticket.id.in_([ticket_id for ticket_id, _ in near]),
                    Appointment.checkin_method == CheckinMethod.PHONE,
                )
            )
        )
        wrote = False
        for ticket_id, ahead in near:
            if ticket_id in remote:
                wrote = (
                    await self.composer.to_ticket(
                        db,
                        ticket_id,
                        "come_now",
                        f"dept{event.department_id}",
                        now,
                        ahead=ahead,
                    )
                    or wrote
                )
        return wrote

    async def delayed(self, db: AsyncSession, event: QueueEvent, now: datetime) -> bool:
        """Tell the patients an emergency pushes back by at least the notice threshold."""
        grown = await grown_waits(
            db,
            event.department_id,
            date.fromisoformat(event.day),
            event.ticket_id,
            now,
            self.composer.settings.default_consultation_min,
        )
        wrote = False
        for ticket_id, (before, after) in grown.items():
            if after - before >= self.composer.config.delay_notice_min:
                wrote = (
                    await self.composer.to_ticket(
                        db,
                        ticket_id,
                        "delayed",
                        f"emergency{event.ticket_id}",
                        now,
                        later_by_min=round(after - before),
                        wait_min=round(after),
                    )
                    or wrote
                )
        return wrote
