"""Weekly rotas: templates, closures and leave, the sessions they create, and whom they affect.

Nothing here moves a booking silently: a change that would withdraw sessions holding live
bookings is refused (409 AFFECTS_BOOKINGS, the bookings listed) until the admin confirms
exactly those bookings; then each is cancelled with a message to its patient.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.admin import check_room, create_session
from server.actions.booking import release_place
from server.actions.common import audit, change_status, load_ticket, publish
from server.actions.waitlist import MIN_ANSWER, OfferRules, has_room, held_places
from server.auth.actor import Actor
from server.config import Settings
from server.errors import Conflict, Invalid, not_found
from server.events import KIND_OF
from server.models import (
    Appointment,
    ClinicClosure,
    Doctor,
    DoctorLeave,
    DoctorSession,
    Patient,
    SessionTemplate,
    Slot,
    Ticket,
)
from server.models.waitlist import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from server.queue.state import TicketEvent, TicketStatus
from server.rota.generate import Away, Existing, Template, at, overlapping, plan, still_planned
from server.scheduling import versions
from server.tuning import OverbookPolicy

LIVE = (TicketStatus.BOOKED, TicketStatus.WAITING)
# A session not yet withdrawn (one closed from its start is the record of a withdrawn one).
OPEN = or_(
    DoctorSession.closed_early_at.is_(None),
    DoctorSession.closed_early_at > DoctorSession.starts_at,
)
# A closure or a leave spans at most a year; longer is a typo, or a doctor who left.
MAX_RANGE_DAYS = 366


@dataclass(frozen=True, slots=True)
class Rules:
    """What the rota works within: the clinic's time zone, how far ahead, the horizon."""

    zone: ZoneInfo
    weeks_ahead: int = 4
    horizon: timedelta = timedelta(days=180)
    # How long a moved patient's offer of a new time holds (the waitlist's rules).
    offers: OfferRules = field(default_factory=OfferRules)

    def today(self, now: datetime) -> date:
        """Return the clinic's local day at `now`."""
        return now.astimezone(self.zone).date()

    def last_day(self, now: datetime) -> date:
        """Return the last local day the rota fills: N weeks on, never past the horizon."""
        weeks = self.today(now) + timedelta(days=7 * self.weeks_ahead - 1)
        return min(weeks, (now + self.horizon).astimezone(self.zone).date())


@dataclass(frozen=True, slots=True)
class AffectedBooking:
    """A live booking in a session a change would withdraw."""

    appointment_id: int
    ticket_id: int
    token: str
    patient_id: int
    patient_name: str
    scheduled_at: datetime | None
    status: TicketStatus


@dataclass(frozen=True, slots=True)
class AffectedSession:
    """A session a change would withdraw, with its live bookings."""

    session_id: int
    doctor_id: int
    doctor_name: str
    starts_at: datetime
    ends_at: datetime
    bookings: tuple[AffectedBooking, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a confirmed change did: the row, sessions withdrawn and created, bookings cancelled."""

    row: Any
    withdrawn: tuple[int, ...] = ()
    cancelled: tuple[int, ...] = ()
    created: tuple[int, ...] = ()
    affected: tuple[AffectedSession, ...] = field(default=())
    offers: tuple[int, ...] = ()


def template_of(row: SessionTemplate) -> Template:
    """Return the pure template of a row."""
    return Template(
        id=row.id,
        doctor_id=row.doctor_id,
        weekday=row.weekday,
        start=row.start_time,
        end=row.end_time,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        slot_minutes=row.slot_minutes,
        capacity_per_slot=row.capacity_per_slot,
        overbook_cap=row.overbook_cap,
        room_id=row.room_id,
    )


def appointment_ids(affected: Sequence[AffectedSession]) -> list[int]:
    """Return the appointment ids of every live booking in `affected`, sorted."""
    return sorted(b.appointment_id for s in affected for b in s.bookings)


def check_confirmed(affected: Sequence[AffectedSession], confirmed: Collection[int]) -> None:
    """Refuse (409 AFFECTS_BOOKINGS) unless the admin confirmed exactly the affected bookings."""
    wanted = appointment_ids(affected)
    if wanted and set(confirmed) != set(wanted):
        raise Conflict(
            "AFFECTS_BOOKINGS",
            f"this change cancels {len(wanted)} booking(s): preview it, then confirm them",
            {"appointment_ids": wanted, "sessions": [s.session_id for s in affected]},
        )


# Validation ------------------------------------------------------------------------------


def check_times(start: time, end: time, slot_minutes: int) -> None:
    """Refuse a template that ends before it starts or is shorter than one slot (422)."""
    if end <= start:
        raise Invalid("ENDS_BEFORE_START", "a session template ends after it starts")
    length = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if length < slot_minutes:
        raise Invalid(
            "SHORTER_THAN_SLOT",
            "a session template holds at least one slot",
            {"minutes": length, "slot_minutes": slot_minutes},
        )


def _latest(now: datetime, rules: Rules) -> date:
    return (now + rules.horizon).astimezone(rules.zone).date()


def check_validity(valid_from: date, valid_to: date | None, now: datetime, rules: Rules) -> None:
    """Refuse a template validity backwards, already over, or starting past the horizon (422)."""
    if valid_to is not None and valid_to < valid_from:
        raise Invalid(
            "VALID_TO_BEFORE_VALID_FROM",
            "a template's validity ends on or after the day it starts",
            {"valid_from": valid_from.isoformat(), "valid_to": valid_to.isoformat()},
        )
    today = rules.today(now)
    if valid_to is not None and valid_to < today:
        raise Invalid("DATE_IN_PAST", "the validity is already over", {"today": today.isoformat()})
    if valid_from > _latest(now, rules):
        raise Invalid(
            "BEYOND_HORIZON",
            f"the rota plans at most {rules.horizon.days} days ahead",
            {"latest": _latest(now, rules).isoformat()},
        )


def check_range(first: date, last: date, now: datetime, rules: Rules) -> None:
    """Refuse a closure or leave backwards, begun in the past, past the horizon or too long."""
    if last < first:
        raise Invalid(
            "ENDS_BEFORE_START",
            "the range ends on or after the day it starts",
            {"starts_on": first.isoformat(), "ends_on": last.isoformat()},
        )
    today = rules.today(now)
    if first < today:
        raise Invalid(
            "DATE_IN_PAST", "the range cannot start in the past", {"today": today.isoformat()}
        )
    if first > _latest(now, rules):
        raise Invalid(
            "BEYOND_HORIZON",
            f"the rota plans at most {rules.horizon.days} days ahead",
            {"latest": _latest(now, rules).isoformat()},
        )
    if (last - first).days >= MAX_RANGE_DAYS:
        raise Invalid(
            "RANGE_TOO_LONG",
            f"a closure or leave lasts at most {MAX_RANGE_DAYS} days",
            {"days": (last - first).days + 1},
        )


async def _doctor(db: AsyncSession, doctor_id: int) -> Doctor:
    doctor = await db.get(Doctor, doctor_id)
    if doctor is None:
        raise not_found("doctor", doctor_id)
    return doctor


async def _check_overlap(db: AsyncSession, candidate: Template) -> None:
    """Refuse (409 TEMPLATE_OVERLAP) a template overlapping another active one of its doctor."""
    rows = await db.scalars(
        select(SessionTemplate).where(
            SessionTemplate.doctor_id == candidate.doctor_id,
            SessionTemplate.weekday == candidate.weekday,
            SessionTemplate.active.is_(True),
            SessionTemplate.id != candidate.id,
        )
    )
    for row in rows:
        if overlapping(candidate, template_of(row)):
            raise Conflict(
                "TEMPLATE_OVERLAP",
                "the doctor already has a template at that time on that weekday",
                {"template_id": row.id},
            )


async def _validate(
    db: AsyncSession, candidate: Template, now: datetime, rules: Rules, *, active: bool
) -> None:
    check_times(candidate.start, candidate.end, candidate.slot_minutes)
    check_validity(candidate.valid_from, candidate.valid_to, now, rules)
    doctor = await _doctor(db, candidate.doctor_id)
    await check_room(db, candidate.room_id, doctor.department_id)
    if active:
        await _check_overlap(db, candidate)


# Affected sessions and their bookings ----------------------------------------------------


async def _sessions_between(
    db: AsyncSession,
    first: date,
    last: date,
    now: datetime,
    rules: Rules,
    doctor_id: int | None = None,
) -> list[DoctorSession]:
    """Return the open sessions starting on local days `first`..`last`, not begun at `now`."""
    start = max(at(first, time(0), rules.zone), now)
    end = at(last + timedelta(days=1), time(0), rules.zone)
    query = select(DoctorSession).where(
        DoctorSession.starts_at >= start,
        DoctorSession.starts_at < end,
        OPEN,
    )
    if doctor_id is not None:
        query = query.where(DoctorSession.doctor_id == doctor_id)
    found = await db.scalars(query.order_by(DoctorSession.starts_at, DoctorSession.id))
    return list(found.unique().all())


async def _sessions_of_template(
    db: AsyncSession, template: Template, now: datetime, rules: Rules
) -> list[DoctorSession]:
    """Return the template's open future sessions that the template no longer makes as they are."""
    found = await db.scalars(
        select(DoctorSession)
        .where(
            DoctorSession.template_id == template.id,
            DoctorSession.starts_at > now,
            OPEN,
        )
        .order_by(DoctorSession.starts_at)
    )
    return [
        row
        for row in found.unique().all()
        if not still_planned(
            template,
            row.starts_at.astimezone(rules.zone).date(),
            rules.zone,
            Existing(row.doctor_id, row.starts_at, row.ends_at, row.slot_minutes),
        )
    ]


async def describe(db: AsyncSession, rows: Sequence[DoctorSession]) -> list[AffectedSession]:
    """Return each session with its live bookings (what the admin confirms)."""
    if not rows:
        return []
    found = await db.execute(
        select(Slot.session_id, Appointment, Ticket.id, Ticket.token, Patient.full_name)
        .join(Appointment, Appointment.slot_id == Slot.id)
        .join(Ticket, Ticket.appointment_id == Appointment.id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(Slot.session_id.in_([r.id for r in rows]), Appointment.status.in_(LIVE))
        .order_by(Appointment.scheduled_at, Appointment.id)
    )
    bookings: dict[int, list[AffectedBooking]] = {}
    for session_id, appointment, ticket_id, token, name in found.unique().all():
        bookings.setdefault(session_id, []).append(
            AffectedBooking(
                appointment_id=appointment.id,
                ticket_id=ticket_id,
                token=token,
                patient_id=appointment.patient_id,
                patient_name=name,
                scheduled_at=appointment.scheduled_at,
                status=appointment.status,
            )
        )
    return [
        AffectedSession(
            session_id=r.id,
            doctor_id=r.doctor_id,
            doctor_name=r.doctor.name,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            bookings=tuple(bookings.get(r.id, ())),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class _Cancelled:
    """A booking a withdrawal cancelled: what finding it a new time needs."""

    ticket_id: int
    appointment_id: int
    patient_id: int
    department_id: int
    doctor_id: int
    day: date
    at: datetime
    shows: float


async def _withdraw(
    db: AsyncSession,
    actor: Actor,
    rows: Sequence[DoctorSession],
    *,
    cause: str,
    reason: str,
    now: datetime,
) -> tuple[list[int], list[_Cancelled]]:
    """Cancel the sessions' live bookings and remove the sessions; `_tell` tells the patients.

    A session no booking ever used is deleted (the rota may make it again once the cause is
    lifted); one with any history is kept, closed from its start, as a record.
    """
    withdrawn: list[int] = []
    done: list[_Cancelled] = []
    for row in rows:
        live = await db.scalars(
            select(Ticket.id)
            .join(Appointment, Ticket.appointment_id == Appointment.id)
            .join(Slot, Appointment.slot_id == Slot.id)
            .where(Slot.session_id == row.id, Appointment.status.in_(LIVE))
            .order_by(Ticket.id)
        )
        for ticket_id in list(live):
            ticket = await load_ticket(db, ticket_id)
            appointment = ticket.appointment
            change_status(db, actor, ticket, TicketEvent.CANCEL, now, reason=reason)
            shows = 1.0 - (appointment.no_show_probability or 0.0)
            if appointment.slot_id is not None:
                await release_place(db, appointment.slot_id, shows)
            done.append(
                _Cancelled(
                    ticket_id=ticket.id,
                    appointment_id=appointment.id,
                    patient_id=appointment.patient_id,
                    department_id=row.doctor.department_id,
                    doctor_id=row.doctor_id,
                    day=row.day,
                    at=appointment.scheduled_at or row.starts_at,
                    shows=shows,
                )
            )
        used = await db.scalar(
            select(func.count(Appointment.id))
            .join(Slot, Appointment.slot_id == Slot.id)
            .where(Slot.session_id == row.id)
        )
        department_id, day = row.doctor.department_id, row.day
        if used:
            row.closed_early_at = row.starts_at
            await db.execute(
                update(Slot)
                .where(Slot.session_id == row.id)
                .values(capacity=0, overbook_cap=Slot.booked)
                .execution_options(synchronize_session=False)
            )
        else:
            await db.execute(delete(Slot).where(Slot.session_id == row.id))
            await db.delete(row)
        withdrawn.append(row.id)
        await versions.bump(db, department_id, day)
    await db.flush()
    return withdrawn, done


async def _tell(
    db: AsyncSession,
    actor: Actor,
    done: Sequence[_Cancelled],
    *,
    cause: str,
    now: datetime,
    rules: Rules,
    offer_moves: bool,
) -> list[int]:
    """Record each cancellation's event (its patient's message); return the offers made.

    With `offer_moves`, each patient is first offered (and held) the nearest free place, once
    every session is withdrawn (and a template edit's new sessions made); their message then
    carries the offer's link.
    """
    offers: list[int] = []
    for gone in done:
        offer_id = await _offer_move(db, actor, gone, now, rules) if offer_moves else None
        extra: dict[str, Any] = {"offer_id": offer_id} if offer_id is not None else {}
        if offer_id is not None:
            offers.append(offer_id)
        # `rota` picks the patient's message: the clinic withdrew the session, not them.
        ticket = await load_ticket(db, gone.ticket_id)
        await publish(db, KIND_OF[TicketEvent.CANCEL], ticket, now, rota=cause, **extra)
    return offers


# How many free slots are weighed for one moved booking (the earliest first).
MOVE_CANDIDATES = 400


async def _offer_move(
    db: AsyncSession, actor: Actor, gone: _Cancelled, now: datetime, rules: Rules
) -> int | None:
    """Hold the nearest free place for a cancelled booking as a waitlist offer; None if none.

    Same department; on the booking's day first (its doctor first, then the nearest time),
    else the next days within the horizon. Accepting books it through the booking action.
    """
    last = (now + rules.horizon).astimezone(rules.zone).date()
    rows = await db.execute(
        select(Slot, DoctorSession.day)
        .join(DoctorSession, Slot.session_id == DoctorSession.id)
        .join(Doctor, Slot.doctor_id == Doctor.id)
        .where(
            Doctor.department_id == gone.department_id,
            Doctor.active.is_(True),
            OPEN,
            DoctorSession.day >= gone.day,
            DoctorSession.day <= last,
            Slot.starts_at > now + rules.offers.notice + MIN_ANSWER,
            Slot.capacity > 0,
            Slot.booked < Slot.capacity + Slot.overbook_cap,
        )
        .order_by(Slot.starts_at, Slot.id)
        .limit(MOVE_CANDIDATES)
    )
    # The booking's day first; on a day, its own doctor first, then the nearest time.
    found = sorted(
        rows.tuples(),
        key=lambda r: (r[1], r[0].doctor_id != gone.doctor_id, abs(r[0].starts_at - gone.at)),
    )
    held = await held_places(db, now)
    for slot, day in found:
        until = rules.offers.expiry(slot.starts_at, now)
        if until is None or not has_room(slot, held.get(slot.id, 0), gone.shows, OverbookPolicy()):
            continue
        entry = WaitlistEntry(
            patient_id=gone.patient_id,
            department_id=gone.department_id,
            doctor_id=None,
            first_day=day,
            last_day=day,
            status=EntryStatus.OFFERED,
            created_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        db.add(entry)
        await db.flush()
        offer = WaitlistOffer(
            entry_id=entry.id,
            slot_id=slot.id,
            status=OfferStatus.OPEN,
            offered_at=now,
            expires_at=until,
        )
        db.add(offer)
        await db.flush()
        audit(
            db,
            actor,
            "rota.move_offer",
            None,
            details={
                "appointment_id": gone.appointment_id,
                "offer_id": offer.id,
                "entry_id": entry.id,
                "slot_id": slot.id,
                "starts_at": slot.starts_at.isoformat(),
                "expires_at": until.isoformat(),
            },
            now=now,
        )
        return offer.id
    audit(
        db,
        actor,
        "rota.move_none",
        None,
        details={"appointment_id": gone.appointment_id},
        now=now,
    )
    return None


# Creating sessions -----------------------------------------------------------------------


async def generate(
    db: AsyncSession, actor: Actor, *, now: datetime, rules: Rules
) -> list[DoctorSession]:
    """Create the sessions the active templates call for over the next N weeks, once each."""
    first, last = rules.today(now), rules.last_day(now)
    rows = await db.scalars(
        select(SessionTemplate)
        .join(Doctor, Doctor.id == SessionTemplate.doctor_id)
        .where(SessionTemplate.active.is_(True), Doctor.active.is_(True))
    )
    templates = [template_of(r) for r in rows]
    if not templates:
        return []
    doctors = {t.doctor_id for t in templates}
    window_start = at(first, time(0), rules.zone)
    window_end = at(last + timedelta(days=1), time(0), rules.zone)
    existing = await db.execute(
        select(DoctorSession.doctor_id, DoctorSession.starts_at, DoctorSession.ends_at).where(
            DoctorSession.doctor_id.in_(doctors),
            DoctorSession.starts_at < window_end + timedelta(days=1),
            DoctorSession.ends_at > window_start - timedelta(days=1),
        )
    )
    away = await _away(db, first, last)
    planned = plan(
        templates,
        first,
        last,
        rules.zone,
        away=away,
        existing=[Existing(d, s, e) for d, s, e in existing.all()],
        not_before=now,
    )
    created = []
    for item in planned:
        if item.starts_at - now > rules.horizon:
            continue
        t = item.template
        block = await create_session(
            db,
            actor,
            doctor_id=t.doctor_id,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            now=now,
            room_id=t.room_id,
            slot_minutes=t.slot_minutes,
            capacity_per_slot=t.capacity_per_slot,
            overbook_cap=t.overbook_cap,
            horizon=rules.horizon,
        )
        block.template_id = t.id
        created.append(block)
    if created:
        audit(
            db,
            actor,
            "rota.generate",
            None,
            details={
                "from": first.isoformat(),
                "to": last.isoformat(),
                "session_ids": [b.id for b in created],
            },
            now=now,
        )
    await db.flush()
    return created


async def _away(db: AsyncSession, first: date, last: date) -> list[Away]:
    closures = await db.scalars(
        select(ClinicClosure).where(ClinicClosure.starts_on <= last, ClinicClosure.ends_on >= first)
    )
    leave = await db.scalars(
        select(DoctorLeave).where(DoctorLeave.starts_on <= last, DoctorLeave.ends_on >= first)
    )
    return [Away(c.starts_on, c.ends_on) for c in closures] + [
        Away(item.starts_on, item.ends_on, item.doctor_id) for item in leave
    ]


# Templates -------------------------------------------------------------------------------


async def create_template(
    db: AsyncSession,
    actor: Actor,
    *,
    doctor_id: int,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date,
    now: datetime,
    rules: Rules,
    valid_to: date | None = None,
    slot_minutes: int = 15,
    capacity_per_slot: int = 1,
    overbook_cap: int = 1,
    room_id: int | None = None,
) -> SessionTemplate:
    """Add a doctor's weekly session; its sessions come with the next run (or the button)."""
    candidate = Template(
        0,
        doctor_id,
        weekday,
        start_time,
        end_time,
        valid_from,
        valid_to,
        slot_minutes,
        capacity_per_slot,
        overbook_cap,
        room_id,
    )
    await _validate(db, candidate, now, rules, active=True)
    row = SessionTemplate(
        doctor_id=doctor_id,
        room_id=room_id,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity_per_slot=capacity_per_slot,
        overbook_cap=overbook_cap,
        valid_from=valid_from,
        valid_to=valid_to,
        active=True,
        created_at=now,
    )
    db.add(row)
    await db.flush()
    audit(db, actor, "rota.template.create", None, details={"template_id": row.id}, now=now)
    return row


TEMPLATE_FIELDS = frozenset(
    {
        "weekday",
        "start_time",
        "end_time",
        "valid_from",
        "valid_to",
        "slot_minutes",
        "capacity_per_slot",
        "overbook_cap",
        "room_id",
        "active",
    }
)


async def _template_change(
    db: AsyncSession,
    template_id: int,
    changes: dict[str, Any],
    now: datetime,
    rules: Rules,
    *,
    lock: bool,
) -> tuple[SessionTemplate, Template | None, list[DoctorSession]]:
    """Validate an edit; return the row, the edited template (None if ended) and its victims."""
    unknown = set(changes) - TEMPLATE_FIELDS
    if unknown:
        raise Invalid("UNKNOWN_FIELD", "unknown template fields", {"fields": sorted(unknown)})
    row = await db.get(SessionTemplate, template_id, with_for_update=lock)
    if row is None:
        raise not_found("template", template_id)
    current = template_of(row)
    edited = replace(
        current,
        weekday=changes.get("weekday", current.weekday),
        start=changes.get("start_time", current.start),
        end=changes.get("end_time", current.end),
        valid_from=changes.get("valid_from", current.valid_from),
        valid_to=changes.get("valid_to", current.valid_to),
        slot_minutes=changes.get("slot_minutes", current.slot_minutes),
        capacity_per_slot=changes.get("capacity_per_slot", current.capacity_per_slot),
        overbook_cap=changes.get("overbook_cap", current.overbook_cap),
        room_id=changes.get("room_id", current.room_id),
    )
    active = bool(changes.get("active", row.active))
    await _validate(db, edited, now, rules, active=active)
    victims = await _sessions_of_template(db, edited if active else _ended(edited), now, rules)
    return row, edited if active else None, victims


def _ended(template: Template) -> Template:
    # A template that runs on no day: every future session of it is withdrawn.
    return replace(template, valid_from=date.max, valid_to=date.max)


async def preview_template_change(
    db: AsyncSession,
    *,
    template_id: int,
    changes: dict[str, Any],
    now: datetime,
    rules: Rules,
) -> list[AffectedSession]:
    """List the sessions and bookings an edit would withdraw; change nothing."""
    _, _, victims = await _template_change(db, template_id, changes, now, rules, lock=False)
    return await describe(db, victims)


async def update_template(
    db: AsyncSession,
    actor: Actor,
    *,
    template_id: int,
    changes: dict[str, Any],
    confirmed: Collection[int],
    now: datetime,
    rules: Rules,
    offer_moves: bool = False,
) -> Outcome:
    """Edit (or end, `active` false) a template; sessions it no longer makes are withdrawn.

    Sessions it still makes at the same times stay as they are (their capacity too); the
    edited template's new sessions are created at once.
    """
    row, edited, victims = await _template_change(db, template_id, changes, now, rules, lock=True)
    affected = await describe(db, victims)
    check_confirmed(affected, confirmed)
    before = {k: _plain(getattr(row, k)) for k in changes}
    for key, value in changes.items():
        setattr(row, key, value)
    withdrawn, done = await _withdraw(
        db, actor, victims, cause="rota", reason="the doctor's rota changed", now=now
    )
    # The edited template's sessions first: a moved patient may be offered its new hours.
    created = await generate(db, actor, now=now, rules=rules) if edited else []
    offers = await _tell(
        db, actor, done, cause="rota", now=now, rules=rules, offer_moves=offer_moves
    )
    cancelled = [g.appointment_id for g in done]
    audit(
        db,
        actor,
        "rota.template.update",
        None,
        details={
            "template_id": row.id,
            "from": before,
            "to": {k: _plain(v) for k, v in changes.items()},
            "withdrawn_session_ids": withdrawn,
            "cancelled_appointment_ids": cancelled,
            "move_offer_ids": offers,
        },
        now=now,
    )
    return Outcome(
        row, tuple(withdrawn), tuple(cancelled), tuple(b.id for b in created), offers=tuple(offers)
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | time) else value


# Closures and leave ----------------------------------------------------------------------


async def _away_victims(
    db: AsyncSession,
    *,
    starts_on: date,
    ends_on: date,
    doctor_id: int | None,
    now: datetime,
    rules: Rules,
) -> list[DoctorSession]:
    check_range(starts_on, ends_on, now, rules)
    if doctor_id is not None:
        await _doctor(db, doctor_id)
    return await _sessions_between(db, starts_on, ends_on, now, rules, doctor_id)


async def preview_away(
    db: AsyncSession,
    *,
    starts_on: date,
    ends_on: date,
    now: datetime,
    rules: Rules,
    doctor_id: int | None = None,
) -> list[AffectedSession]:
    """List the sessions and bookings a closure (or a doctor's leave) would withdraw."""
    victims = await _away_victims(
        db, starts_on=starts_on, ends_on=ends_on, doctor_id=doctor_id, now=now, rules=rules
    )
    return await describe(db, victims)


async def add_away(
    db: AsyncSession,
    actor: Actor,
    *,
    starts_on: date,
    ends_on: date,
    reason: str,
    confirmed: Collection[int],
    now: datetime,
    rules: Rules,
    doctor_id: int | None = None,
    offer_moves: bool = False,
) -> Outcome:
    """Close the clinic (`doctor_id` None) or record a doctor's leave over a range of days.

    The range's sessions are withdrawn once the admin confirmed their bookings; the rota
    creates none there while the closure or leave stands.
    """
    victims = await _away_victims(
        db, starts_on=starts_on, ends_on=ends_on, doctor_id=doctor_id, now=now, rules=rules
    )
    affected = await describe(db, victims)
    check_confirmed(affected, confirmed)
    row: ClinicClosure | DoctorLeave
    if doctor_id is None:
        row = ClinicClosure(starts_on=starts_on, ends_on=ends_on, reason=reason, created_at=now)
        cause, action = "closure", "rota.closure.create"
    else:
        row = DoctorLeave(
            doctor_id=doctor_id, starts_on=starts_on, ends_on=ends_on, reason=reason, created_at=now
        )
        cause, action = "leave", "rota.leave.create"
    db.add(row)
    await db.flush()
    withdrawn, done = await _withdraw(
        db, actor, victims, cause=cause, reason=reason or cause, now=now
    )
    offers = await _tell(
        db, actor, done, cause=cause, now=now, rules=rules, offer_moves=offer_moves
    )
    cancelled = [g.appointment_id for g in done]
    audit(
        db,
        actor,
        action,
        None,
        reason=reason,
        details={
            "id": row.id,
            "doctor_id": doctor_id,
            "from": starts_on.isoformat(),
            "to": ends_on.isoformat(),
            "withdrawn_session_ids": withdrawn,
            "cancelled_appointment_ids": cancelled,
            "move_offer_ids": offers,
        },
        now=now,
    )
    return Outcome(
        row, tuple(withdrawn), tuple(cancelled), affected=tuple(affected), offers=tuple(offers)
    )


async def lift_away(
    db: AsyncSession,
    actor: Actor,
    *,
    closure_id: int | None = None,
    leave_id: int | None = None,
    now: datetime,
    rules: Rules,
) -> Outcome:
    """Remove a closure or a leave; the rota makes the sessions again at once.

    Cancelled bookings stay cancelled: their patients were told and may have booked elsewhere.
    """
    row: ClinicClosure | DoctorLeave | None
    if closure_id is not None:
        row, what = await db.get(ClinicClosure, closure_id), "closure"
    else:
        row, what = await db.get(DoctorLeave, leave_id), "leave"
    if row is None:
        raise not_found(what, closure_id if closure_id is not None else leave_id)
    audit(
        db,
        actor,
        f"rota.{what}.delete",
        None,
        details={"id": row.id, "from": row.starts_on.isoformat(), "to": row.ends_on.isoformat()},
        now=now,
    )
    await db.delete(row)
    await db.flush()
    created = await generate(db, actor, now=now, rules=rules)
    return Outcome(row, created=tuple(b.id for b in created))


def rules_of(settings: Settings) -> Rules:
    """Return the rota's rules from the clinic's settings."""
    offers = OfferRules(
        hold=timedelta(minutes=settings.waitlist_hold_min),
        notice=timedelta(minutes=settings.waitlist_notice_min),
    )
    return Rules(
        ZoneInfo(settings.timezone), settings.rota_weeks_ahead, settings.booking_horizon, offers
    )
