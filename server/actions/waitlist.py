"""The waitlist: join, leave, offers of freed places, and confirming one (docs/waitlist.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking
from server.actions.booking import DEFAULT_HORIZON, SlotChoice, check_patient_access
from server.actions.common import audit
from server.auth.actor import SYSTEM, Actor
from server.errors import Conflict, DomainError, Invalid, not_found
from server.models import (
    Department,
    Doctor,
    DoctorSession,
    Patient,
    Role,
    Slot,
    Ticket,
)
from server.models.waitlist import (
    ACTIVE,
    EntryStatus,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
)
from server.tuning import OverbookPolicy, Scorer, base_rate_scorer

# A place is offered only if the patient has at least this long to answer.
MIN_ANSWER = timedelta(minutes=10)
# How many slots of one entry's days are looked at per run (the earliest first).
CANDIDATES = 50
# What a confirm that lost the race for its place is told (the place was taken first).
LOST_CODES = frozenset({"SLOT_FULL", "SLOT_CLOSED", "SLOT_IN_PAST", "ALREADY_BOOKED"})


@dataclass(frozen=True, slots=True)
class OfferRules:
    """How long an offer holds and how close to its slot it may run."""

    hold: timedelta = timedelta(hours=2)
    notice: timedelta = timedelta(minutes=30)  # an offer closes this long before its slot

    def expiry(self, slot_starts: datetime, now: datetime) -> datetime | None:
        """Return when an offer made now for this slot ends, or None if it is too late."""
        latest = slot_starts - self.notice
        if latest - now < MIN_ANSWER:
            return None
        return min(now + self.hold, latest)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What a confirm did: the booking made, or why the place was lost."""

    offer: WaitlistOffer
    ticket: Ticket | None = None
    lost_code: str | None = None


def link_actor(patient_id: int) -> Actor:
    """Return the actor of a patient acting through a signed offer link (no login)."""
    return Actor(user_id=None, role=Role.PATIENT, name="offer link", patient_id=patient_id)


async def join(
    db: AsyncSession,
    actor: Actor,
    *,
    patient_id: int,
    department_id: int | None,
    doctor_id: int | None,
    day: date | None,
    now: datetime,
    days: int = 14,
    horizon: timedelta = DEFAULT_HORIZON,
) -> WaitlistEntry:
    """Put a patient on the waitlist of a department, a doctor, or one day of either."""
    check_patient_access(actor, patient_id)
    if await db.get(Patient, patient_id) is None:
        raise not_found("patient", patient_id)
    if doctor_id is not None:
        doctor = await db.get(Doctor, doctor_id)
        if doctor is None or not doctor.active:
            raise not_found("doctor", doctor_id)
        if department_id is not None and department_id != doctor.department_id:
            raise Invalid("DOCTOR_NOT_IN_DEPARTMENT", f"{doctor.name} works in another department")
        department_id = doctor.department_id
    if department_id is None:
        raise Invalid("DEPARTMENT_REQUIRED", "give department_id or doctor_id")
    if await db.get(Department, department_id) is None:
        raise not_found("department", department_id)
    today = now.date()
    if day is not None and day < today:
        raise Invalid("DAY_IN_PAST", "that day is over", {"day": day.isoformat()})
    if day is not None and day - today > horizon:
        raise Invalid(
            "BEYOND_HORIZON",
            f"bookings open at most {horizon.days} days ahead",
            {"horizon_days": horizon.days},
        )
    first, last = (day, day) if day is not None else (today, today + timedelta(days=days - 1))
    clash = await db.scalar(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.patient_id == patient_id,
            WaitlistEntry.department_id == department_id,
            WaitlistEntry.status.in_(ACTIVE),
            WaitlistEntry.first_day <= last,
            WaitlistEntry.last_day >= first,
        )
    )
    if clash:
        raise Conflict(
            "ALREADY_WAITING", "the patient is already on this department's waitlist for those days"
        )
    entry = WaitlistEntry(
        patient_id=patient_id,
        department_id=department_id,
        doctor_id=doctor_id,
        first_day=first,
        last_day=last,
        status=EntryStatus.WAITING,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    db.add(entry)
    await db.flush()
    audit(
        db,
        actor,
        "waitlist.join",
        None,
        details={"entry_id": entry.id, "patient_id": patient_id, "department_id": department_id}
        | ({"doctor_id": doctor_id} if doctor_id else {})
        | {"first_day": first.isoformat(), "last_day": last.isoformat()},
        now=now,
    )
    return entry


async def load_entry(
    db: AsyncSession, actor: Actor, entry_id: int, *, lock: bool = False
) -> WaitlistEntry:
    """Load an entry the actor may see: patients only their own (another's is a 404)."""
    entry = await db.get(WaitlistEntry, entry_id, with_for_update=True if lock else None)
    if entry is None or (actor.role is Role.PATIENT and actor.patient_id != entry.patient_id):
        raise not_found("waitlist_entry", entry_id)
    return entry


async def load_offer(
    db: AsyncSession, actor: Actor, offer_id: int, *, lock: bool = False
) -> tuple[WaitlistOffer, WaitlistEntry]:
    """Load an offer and its entry (locked for an answer); patients only their own."""
    offer = await db.get(WaitlistOffer, offer_id, with_for_update=True if lock else None)
    if offer is None:
        raise not_found("offer", offer_id)
    try:
        entry = await load_entry(db, actor, offer.entry_id, lock=lock)
    except DomainError:
        raise not_found("offer", offer_id) from None
    return offer, entry


async def leave(db: AsyncSession, actor: Actor, *, entry_id: int, now: datetime) -> WaitlistEntry:
    """Take a patient off the waitlist; an open offer of theirs is withdrawn."""
    entry = await load_entry(db, actor, entry_id, lock=True)
    if entry.status not in ACTIVE:
        raise Conflict(
            "NOT_WAITING", "this entry is no longer on the waitlist", {"status": entry.status.value}
        )
    withdrawn = await _close_open_offers(db, entry, OfferStatus.WITHDRAWN, now)
    entry.status, entry.updated_at = EntryStatus.LEFT, now
    audit(
        db,
        actor,
        "waitlist.leave",
        None,
        details={"entry_id": entry.id, "withdrawn_offer_ids": [o.id for o in withdrawn]},
        now=now,
    )
    return entry


async def _close_open_offers(
    db: AsyncSession, entry: WaitlistEntry, status: OfferStatus, now: datetime
) -> list[WaitlistOffer]:
    found = list(
        await db.scalars(
            select(WaitlistOffer)
            .where(WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OfferStatus.OPEN)
            .with_for_update()
        )
    )
    for offer in found:
        offer.status, offer.answered_at = status, now
    return found


async def expire(db: AsyncSession, now: datetime) -> list[WaitlistOffer]:
    """End the offers nobody answered in time and the entries whose days are over."""
    late = list(
        await db.scalars(
            select(WaitlistOffer)
            .where(WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at <= now)
            .order_by(WaitlistOffer.id)
            .with_for_update(skip_locked=True)
        )
    )
    for offer in late:
        offer.status = OfferStatus.EXPIRED
        entry = await db.get(WaitlistEntry, offer.entry_id, with_for_update=True)
        if entry is not None and entry.status is EntryStatus.OFFERED:
            # They keep their place in line for other times; this place goes to the next.
            entry.status, entry.updated_at = EntryStatus.WAITING, now
        audit(
            db,
            SYSTEM,
            "waitlist.offer_expired",
            None,
            details={"offer_id": offer.id, "entry_id": offer.entry_id, "slot_id": offer.slot_id},
            now=now,
        )
    over = list(
        await db.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.status.in_(ACTIVE), WaitlistEntry.last_day < now.date())
            .with_for_update(skip_locked=True)
        )
    )
    for entry in over:
        await _close_open_offers(db, entry, OfferStatus.EXPIRED, now)
        entry.status, entry.updated_at = EntryStatus.EXPIRED, now
        audit(db, SYSTEM, "waitlist.expired", None, details={"entry_id": entry.id}, now=now)
    return late


def has_room(slot: Slot, held: int, shows: float, policy: OverbookPolicy) -> bool:
    """Tell whether a slot could take one more booking beside the places already offered.

    The same test as the booking's guarded UPDATEs, with every open offer counted as a
    patient who comes; the confirm's booking is the judge in the end.
    """
    if slot.capacity <= 0:
        return False
    if slot.booked + held < slot.capacity:
        return True
    expected = slot.expected_shows_milli + 1000 * held + round(shows * 1000)
    slack = round(policy.max_expected_excess * 1000)
    return (
        slot.booked + held < slot.capacity + slot.overbook_cap
        and expected <= slot.capacity * 1000 + slack
    )


async def held_places(db: AsyncSession, now: datetime) -> dict[int, int]:
    """Return each slot's count of open offers still holding a place."""
    return await _held(db, now)


async def _held(db: AsyncSession, now: datetime) -> dict[int, int]:
    rows = await db.execute(
        select(WaitlistOffer.slot_id, func.count(WaitlistOffer.id))
        .where(WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at > now)
        .group_by(WaitlistOffer.slot_id)
    )
    return {int(slot_id): int(count) for slot_id, count in rows.tuples()}


async def _candidates(
    db: AsyncSession, entry: WaitlistEntry, now: datetime, rules: OfferRules
) -> Sequence[Slot]:
    """Return the entry's slots that may have room, earliest first, none offered to it before."""
    query = (
        select(Slot)
        .join(DoctorSession, Slot.session_id == DoctorSession.id)
        .join(Doctor, Slot.doctor_id == Doctor.id)
        .where(
            Doctor.department_id == entry.department_id,
            Doctor.active.is_(True),
            DoctorSession.day >= entry.first_day,
            DoctorSession.day <= entry.last_day,
            Slot.starts_at > now + rules.notice + MIN_ANSWER,
            Slot.capacity > 0,
            Slot.booked < Slot.capacity + Slot.overbook_cap,
            Slot.id.not_in(select(WaitlistOffer.slot_id).where(WaitlistOffer.entry_id == entry.id)),
        )
        .order_by(Slot.starts_at, Slot.id)
        .limit(CANDIDATES)
    )
    if entry.doctor_id is not None:
        query = query.where(Slot.doctor_id == entry.doctor_id)
    return list(await db.scalars(query))


async def offer_free_places(
    db: AsyncSession,
    now: datetime,
    *,
    rules: OfferRules = OfferRules(),
    scorer: Scorer = base_rate_scorer,
    policy: OverbookPolicy = OverbookPolicy(),
    reachable: Callable[[Patient], bool] = lambda patient: True,
) -> list[WaitlistOffer]:
    """Offer each free place to the first patient in line for it; return the offers made.

    Patients who cannot be told (`reachable` is False: no address, opted out) are passed over:
    an offer they never see would hold the place from the next patient for nothing.
    """
    held = await _held(db, now)
    waiting = list(
        await db.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.status == EntryStatus.WAITING,
                WaitlistEntry.last_day >= now.date(),
            )
            .order_by(WaitlistEntry.id)
            .with_for_update(skip_locked=True)
        )
    )
    made: list[WaitlistOffer] = []
    for entry in waiting:
        patient = await db.get(Patient, entry.patient_id)
        if patient is None or not reachable(patient):
            continue
        for slot in await _candidates(db, entry, now, rules):
            until = rules.expiry(slot.starts_at, now)
            if until is None:
                continue
            shows = 1.0 - await scorer(db, patient, entry.department_id, slot.starts_at, now)
            if not has_room(slot, held.get(slot.id, 0), shows, policy):
                continue
            offer = WaitlistOffer(
                entry_id=entry.id,
                slot_id=slot.id,
                status=OfferStatus.OPEN,
                offered_at=now,
                expires_at=until,
            )
            db.add(offer)
            entry.status, entry.updated_at = EntryStatus.OFFERED, now
            await db.flush()
            held[slot.id] = held.get(slot.id, 0) + 1
            audit(
                db,
                SYSTEM,
                "waitlist.offer",
                None,
                details={
                    "offer_id": offer.id,
                    "entry_id": entry.id,
                    "slot_id": slot.id,
                    "expires_at": until.isoformat(),
                },
                now=now,
            )
            made.append(offer)
            break
    return made


async def confirm(
    db: AsyncSession,
    actor: Actor,
    *,
    offer_id: int,
    now: datetime,
    scorer: Scorer = base_rate_scorer,
    policy: OverbookPolicy = OverbookPolicy(),
    horizon: timedelta = DEFAULT_HORIZON,
) -> Confirmation:
    """Book the offered place through the booking action; a lost race is recorded, not booked."""
    offer, entry = await load_offer(db, actor, offer_id, lock=True)
    _check_open(offer, now)
    try:
        ticket = await booking.book(
            db,
            actor,
            patient_id=entry.patient_id,
            choice=SlotChoice(slot_id=offer.slot_id),
            now=now,
            scorer=scorer,
            policy=policy,
            horizon=horizon,
        )
    except DomainError as refused:
        if refused.code not in LOST_CODES:
            raise
        # The slot's guard refused before anything was written: record the loss and put the
        # patient back in line (first, by their entry's age) for the next free place.
        offer.status, offer.answered_at = OfferStatus.LOST, now
        entry.status, entry.updated_at = EntryStatus.WAITING, now
        audit(
            db,
            actor,
            "waitlist.offer_lost",
            None,
            details={"offer_id": offer.id, "entry_id": entry.id, "code": refused.code},
            now=now,
        )
        return Confirmation(offer, lost_code=refused.code)
    offer.status, offer.answered_at = OfferStatus.ACCEPTED, now
    offer.appointment_id = ticket.appointment_id
    entry.status, entry.updated_at = EntryStatus.BOOKED, now
    audit(
        db,
        actor,
        "waitlist.accept",
        ticket.appointment,
        details={"offer_id": offer.id, "entry_id": entry.id, "slot_id": offer.slot_id},
        now=now,
    )
    return Confirmation(offer, ticket=ticket)


async def decline(db: AsyncSession, actor: Actor, *, offer_id: int, now: datetime) -> WaitlistOffer:
    """Turn an offer down: the place goes to the next patient, this one keeps waiting."""
    offer, entry = await load_offer(db, actor, offer_id, lock=True)
    _check_open(offer, now)
    offer.status, offer.answered_at = OfferStatus.DECLINED, now
    entry.status, entry.updated_at = EntryStatus.WAITING, now
    audit(
        db,
        actor,
        "waitlist.decline",
        None,
        details={"offer_id": offer.id, "entry_id": entry.id},
        now=now,
    )
    return offer


def _check_open(offer: WaitlistOffer, now: datetime) -> None:
    if offer.status is OfferStatus.EXPIRED or (
        offer.status is OfferStatus.OPEN and offer.expires_at <= now
    ):
        raise Conflict(
            "OFFER_EXPIRED",
            "this offer has expired; the place went to the next patient",
            {"expired_at": offer.expires_at.isoformat()},
        )
    if offer.status is not OfferStatus.OPEN:
        raise Conflict(
            "OFFER_CLOSED", "this offer was already answered", {"status": offer.status.value}
        )
