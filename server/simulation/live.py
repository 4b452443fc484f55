"""Play simulated clinic days through the running server, at speed, as real actions.

A day's demand (`LiveDay`) is in clinic minutes from the day's opening; the player maps clinic
minute `m` onto the wall clock as `t0 + m / speed` minutes and, at each moment, runs the
production action (book, check in, walk-in, emergency, call next, start, complete) in its own
transaction, stamped with the server's real clock. Screens, messages and the dashboard see
what they would see in a clinic, only `speed` times faster.

People may act in the same day. The player re-reads what it acts on and never fails on a
refused step: a patient a person completed is simply done. A doctor for whom a person calls
a patient (the doctor is busy with a ticket the player did not call) is left to that person
for the rest of the day.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin, booking, queue
from server.actions.booking import SlotChoice
from server.actions.common import load_ticket
from server.actions.presence import set_desk
from server.auth.actor import Actor
from server.errors import DomainError
from server.models import Department, Doctor, Patient, Role, Slot, Ticket
from server.queue.order import Urgency
from server.queue.state import TicketStatus

if TYPE_CHECKING:
    from server.services import Services
    from server.simulation.scenario import PatientSpec, Scenario

log = logging.getLogger(__name__)

PLAYER = Actor(user_id=None, role=Role.ADMIN, name="live demo")
LEAD_IN_S = 2.0  # a day opens this long after the player starts it, plus BOOKING_S a booking
BOOKING_S = 0.04
WALK_TO_ROOM_MIN = 1.0  # a called patient reaches the room a clinic minute later
POLL_MIN = 5.0  # an idle doctor looks at the queue again after this long
OVERTIME_MAX_MIN = 60.0  # doctors see who is still waiting, at most this long after closing
MAX_SPEED = 600.0
MIN_SLOT_WALL_MIN = 5  # the schema's shortest slot (ck_doctor_sessions_slot_minutes)


class VisitKind(StrEnum):
    """How a patient comes to the clinic."""

    BOOKED = "booked"
    WALK_IN = "walk_in"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True)
class Shift:
    """A doctor's working day, in clinic minutes; indices pick the clinic's own rows."""

    department: int
    doctor: int  # index of the doctor within the department
    starts_min: float
    ends_min: float
    late_min: float = 0.0


@dataclass(frozen=True, slots=True)
class Visit:
    """One patient's day: when they book, arrive (None: never) and how long they are seen."""

    kind: VisitKind
    department: int
    consult_min: float
    arrives_min: float | None
    doctor: int | None = None  # booked: the doctor; others: any doctor of the department
    booked_min: float = 0.0  # a booking is made then (0 or less: before the day opens)
    slot_min: float | None = None  # booked: the appointment's start
    urgency: Urgency = Urgency.ROUTINE
    patient: PatientSpec | None = None  # who: name, birth date and sex (None: made up)


@dataclass(frozen=True, slots=True)
class LiveDay:
    """What one clinic day brings, in clinic minutes from its opening."""

    minutes: float
    slot_min: int
    shifts: tuple[Shift, ...]
    visits: tuple[Visit, ...]


DaySource = Callable[[int, date], LiveDay]  # (day number 0, 1, ..., date) -> its demand
SleepUntil = Callable[[datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Timeline:
    """Clinic minutes of one day against the wall clock."""

    t0: datetime
    speed: float

    def at(self, minute: float) -> datetime:
        """Return the wall-clock moment of clinic minute `minute`."""
        return self.t0 + timedelta(minutes=minute / self.speed)

    def minute(self, moment: datetime) -> float:
        """Return the clinic minute of wall-clock `moment`."""
        return (moment - self.t0) / timedelta(minutes=1) * self.speed

    def session(self, starts_min: float, ends_min: float, slot_min: int) -> WallSession:
        """Return a shift's session on the wall clock, cut into whole slots of 5+ minutes.

        At speed a clinic slot is shorter than the schema's shortest, so a wall slot holds
        several; its length (5 to 10 minutes) is the one that overshoots the shift least.
        """
        starts = self.at(starts_min)
        span = (self.at(ends_min) - starts) / timedelta(minutes=1)
        exact = slot_min / self.speed
        if exact >= MIN_SLOT_WALL_MIN:
            choices = [round(exact)]
        else:
            choices = list(range(MIN_SLOT_WALL_MIN, 2 * MIN_SLOT_WALL_MIN + 1))
        wall = min(choices, key=lambda w: (max(math.ceil(span / w - 1e-9), 1) * w - span, w))
        slots = max(math.ceil(span / wall - 1e-9), 1)
        places = math.ceil(wall * self.speed / slot_min - 1e-9)
        return WallSession(starts, starts + timedelta(minutes=wall * slots), wall, places)


@dataclass(frozen=True, slots=True)
class WallSession:
    """A doctor's session as the database holds it: wall-clock times, slots of several places."""

    starts_at: datetime
    ends_at: datetime
    slot_minutes: int
    places: int  # per slot: the clinic slots it stands for


class DoctorState(StrEnum):
    """Where the player's doctor is in their day."""

    OFF = "off"
    IDLE = "idle"
    CALLED = "called"
    CONSULTING = "consulting"
    HUMAN = "human"  # a person took this doctor over
    DONE = "done"


@dataclass
class PlayedDoctor:
    """A doctor the player plays, and the ticket they hold."""

    doctor_id: int
    department_id: int
    shift: Shift
    state: DoctorState = DoctorState.OFF
    ticket_id: int | None = None


@dataclass
class DayRecord:
    """What happened in one played day, for logs and tests."""

    day: int
    actions: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    human_doctors: set[int] = field(default_factory=set)
    tickets: dict[int, Visit] = field(default_factory=dict)

    def count(self, what: str, refused: bool = False) -> None:
        """Count one action done (or refused)."""
        table = self.refused if refused else self.actions
        table[what] = table.get(what, 0) + 1


async def real_sleep_until(clock: Callable[[], datetime], moment: datetime) -> None:
    """Sleep until the wall clock reaches `moment`."""
    delay = (moment - clock()).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


class Player:
    """Plays `LiveDay`s, one after another, through the clinic's actions."""

    def __init__(
        self,
        services: Services,
        days: DaySource,
        speed: float,
        sleep_until: SleepUntil | None = None,
        seed: int = 0,
    ) -> None:
        if not 0 < speed <= MAX_SPEED:
            raise ValueError(f"the demo speed is between 0 and {MAX_SPEED:g}")
        self.services, self.days, self.speed = services, days, speed
        self.sleep_until = sleep_until or (lambda t: real_sleep_until(services.clock, t))
        self.rng = random.Random(seed)
        self.records: list[DayRecord] = []
        self.not_before = datetime.min.replace(tzinfo=UTC)  # the last session played ends

    async def run(self, days: int | None = None) -> None:
        """Play days until cancelled (or `days` of them)."""
        for number in itertools.count() if days is None else range(days):
            day = await asyncio.to_thread(self.days, number, self.services.clock().date())
            # Bookings made before the day are made before it opens (a few milliseconds each).
            ahead = sum(v.kind is VisitKind.BOOKED and v.booked_min <= 0 for v in day.visits)
            lead = timedelta(seconds=LEAD_IN_S + BOOKING_S * ahead)
            start = max(self.services.clock() + lead, self.not_before)
            await self.play(day, Timeline(start.replace(microsecond=0), self.speed))

    async def play(self, day: LiveDay, timeline: Timeline) -> DayRecord:
        """Play one day on `timeline`; return what happened."""
        record = DayRecord(len(self.records))
        self.records.append(record)
        doctors, ends = await self.services.run(
            lambda s: _open_day(s, day, timeline, self.services.clock())
        )
        # The next day's sessions may not overlap this one's (doctors may leave before the end).
        self.not_before = max(self.not_before, ends or self.not_before)
        patients = await self.services.run(
            lambda s: _register(s, day, self.rng, self.services.clock())
        )
        agenda = _Agenda()
        opening = self.services.clock()
        for visit, patient_id in zip(day.visits, patients, strict=True):
            if visit.kind is VisitKind.BOOKED:  # bookings made before the day: at once
                moment = timeline.at(visit.booked_min) if visit.booked_min > 0 else opening
                agenda.add(moment, ("book", visit, patient_id))
            elif visit.arrives_min is not None:
                agenda.add(timeline.at(visit.arrives_min), ("arrive", visit, patient_id))
        for played in doctors:
            agenda.add(timeline.at(played.shift.starts_min + played.shift.late_min), played)
        day_tickets: dict[int, int] = {}  # patient -> ticket
        while agenda:
            moment, item = agenda.pop()
            await self.sleep_until(moment)
            try:
                if isinstance(item, PlayedDoctor):
                    later = await self._doctor_step(item, day, timeline, record)
                    if later is not None:
                        agenda.add(later, item)
                else:
                    await self._patient_step(item, timeline, record, day_tickets, agenda, doctors)
            except DomainError as error:  # a person changed what the step expected: go on
                log.info("live demo: %s refused (%s)", _name(item), error.code)
                self._retry(item, timeline, agenda, record)
            except Exception:  # never let one step stop the clinic
                log.exception("live demo: %s failed", _name(item))
                self._retry(item, timeline, agenda, record)
        log.info(
            "live demo day %d over: %s, refused %s", record.day, record.actions, record.refused
        )
        return record

    def _retry(self, item: Any, timeline: Timeline, agenda: _Agenda, record: DayRecord) -> None:
        """Count a refused step; a doctor looks again a clinic minute later (patients do not)."""
        record.count(_name(item), refused=True)
        if isinstance(item, PlayedDoctor) and item.state not in (
            DoctorState.DONE,
            DoctorState.HUMAN,
        ):
            agenda.add(timeline.at(timeline.minute(self.services.clock()) + 1.0), item)

    async def _patient_step(
        self,
        item: tuple[str, Visit, int],
        timeline: Timeline,
        record: DayRecord,
        day_tickets: dict[int, int],
        agenda: _Agenda,
        doctors: Sequence[PlayedDoctor],
    ) -> None:
        what, visit, patient_id = item
        now = self.services.clock()
        if what == "book":
            ticket = await self._book(visit, patient_id, doctors, timeline)
            record.count("book", refused=ticket is None)
            if ticket is not None:
                day_tickets[patient_id] = ticket.id
                record.tickets[ticket.id] = visit
                if visit.arrives_min is not None:
                    arrival = max(visit.arrives_min, visit.booked_min)
                    agenda.add(timeline.at(arrival), ("arrive", visit, patient_id))
            return
        department_id = _department_of(doctors, visit.department)
        if visit.kind is VisitKind.BOOKED:
            ticket = await self.services.run(
                lambda s: queue.check_in(s, PLAYER, ticket_id=day_tickets[patient_id], now=now)
            )
        elif visit.kind is VisitKind.EMERGENCY:
            ticket = await self.services.run(
                lambda s: queue.insert_emergency(
                    s, PLAYER, now=now, department_id=department_id, patient_id=patient_id
                )
            )
        else:
            ticket = await self.services.run(
                lambda s: booking.register_walk_in(
                    s,
                    PLAYER,
                    patient_id=patient_id,
                    department_id=department_id,
                    now=now,
                    urgency=visit.urgency,
                    reason="Walk-in",
                )
            )
        record.tickets[ticket.id] = visit
        record.count(visit.kind.value if visit.kind is not VisitKind.BOOKED else "check_in")
        for played in doctors:  # idle doctors of the department look up at once
            if played.department_id == department_id and played.state is DoctorState.IDLE:
                agenda.wake(played, now)

    async def _book(
        self,
        visit: Visit,
        patient_id: int,
        doctors: Sequence[PlayedDoctor],
        timeline: Timeline,
    ) -> Ticket | None:
        if visit.doctor is None:  # any doctor of the department
            department_id = _department_of(doctors, visit.department)
            wanted = [d.doctor_id for d in doctors if d.department_id == department_id]
        else:
            wanted = [_doctor_of(doctors, visit.department, visit.doctor)]
        slot_at = timeline.at(visit.slot_min or 0.0)
        now = self.services.clock()
        if visit.booked_min <= 0:  # booked before the day: made, and stamped, before it opens
            now = min(now, timeline.at(0) - timedelta(seconds=1))
        slots = await self.services.read(lambda s: _open_slots(s, wanted, slot_at, now))
        for slot_id in slots[:3]:  # the slot asked for, or the next ones when it is full
            try:
                return await self.services.run(
                    lambda s, slot_id=slot_id: booking.book(  # type: ignore[misc]
                        s,
                        PLAYER,
                        patient_id=patient_id,
                        choice=SlotChoice(slot_id=slot_id),
                        now=now,
                        reason="Follow-up",
                        scorer=self.services.scorer,
                        policy=self.services.overbooking,
                    )
                )
            except DomainError as error:
                log.info("live demo: booking refused (%s), trying the next slot", error.code)
        return None

    async def _doctor_step(
        self, doctor: PlayedDoctor, day: LiveDay, timeline: Timeline, record: DayRecord
    ) -> datetime | None:
        """Take the doctor's next step; return when to look at them again (None: done)."""
        now = self.services.clock()
        minute = timeline.minute(now)
        if doctor.state is DoctorState.OFF:  # in at last (maybe late): the desk opens
            await self._desk(doctor, True, now)
            doctor.state = DoctorState.IDLE
        if doctor.state is DoctorState.CALLED:
            return await self._start(doctor, timeline, record, now)
        if doctor.state is DoctorState.CONSULTING:
            await self._complete(doctor, record, now)
            return now
        closing = doctor.shift.ends_min
        if minute >= closing + OVERTIME_MAX_MIN:
            await self._leave(doctor, now)
            return None
        try:
            ticket = await self.services.run(
                lambda s: queue.call_next(
                    s, _as_doctor(doctor), doctor_id=doctor.doctor_id, now=now
                )
            )
        except DomainError as error:
            if error.code == "DOCTOR_BUSY":  # a person called a patient for this doctor
                doctor.state = DoctorState.HUMAN
                record.human_doctors.add(doctor.doctor_id)
                log.info("live demo: doctor %d is left to the person using it", doctor.doctor_id)
                return None
            if error.code != "QUEUE_EMPTY":
                raise
            if minute >= closing:
                await self._leave(doctor, now)
                return None
            return timeline.at(minute + POLL_MIN)
        record.count("call")
        doctor.state, doctor.ticket_id = DoctorState.CALLED, ticket.id
        return timeline.at(minute + WALK_TO_ROOM_MIN)

    async def _desk(self, doctor: PlayedDoctor, is_open: bool, now: datetime) -> None:
        await self.services.run(
            lambda s: set_desk(
                s, _as_doctor(doctor), doctor_id=doctor.doctor_id, is_open=is_open, now=now
            )
        )

    async def _leave(self, doctor: PlayedDoctor, now: datetime) -> None:
        doctor.state = DoctorState.DONE
        await self._desk(doctor, False, now)

    async def _start(
        self, doctor: PlayedDoctor, timeline: Timeline, record: DayRecord, now: datetime
    ) -> datetime:
        ticket_id = doctor.ticket_id
        if ticket_id is None:  # a busy doctor always has a patient
            raise RuntimeError("a busy doctor without a patient")
        status = await self.services.read(lambda s: _status(s, ticket_id))
        if status is TicketStatus.CALLED:
            await self.services.run(
                lambda s: queue.start(s, _as_doctor(doctor), ticket_id=ticket_id, now=now)
            )
            record.count("start")
        elif status is not TicketStatus.IN_CONSULTATION:  # a person completed or skipped them
            record.count("start", refused=True)
            doctor.state, doctor.ticket_id = DoctorState.IDLE, None
            return now
        visit = record.tickets.get(ticket_id)
        minutes = visit.consult_min if visit is not None else self.rng.uniform(8.0, 15.0)
        doctor.state = DoctorState.CONSULTING
        return timeline.at(timeline.minute(now) + minutes)

    async def _complete(self, doctor: PlayedDoctor, record: DayRecord, now: datetime) -> None:
        ticket_id = doctor.ticket_id
        if ticket_id is None:  # a busy doctor always has a patient
            raise RuntimeError("a busy doctor without a patient")
        doctor.state, doctor.ticket_id = DoctorState.IDLE, None
        status = await self.services.read(lambda s: _status(s, ticket_id))
        if status is not TicketStatus.IN_CONSULTATION:  # a person finished it already
            record.count("complete", refused=True)
            return
        await self.services.run(
            lambda s: queue.complete(s, _as_doctor(doctor), ticket_id=ticket_id, now=now)
        )
        record.count("complete")


class _Agenda:
    """Timed steps in order; a doctor may be woken earlier than planned."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Any]] = []
        self._count = itertools.count()
        self._due: dict[int, datetime] = {}  # id(doctor) -> the time of their live entry

    def __bool__(self) -> bool:
        return bool(self._heap)

    def add(self, moment: datetime, item: Any) -> None:
        if isinstance(item, PlayedDoctor):
            self._due[id(item)] = moment
        heapq.heappush(self._heap, (moment, next(self._count), item))

    def wake(self, doctor: PlayedDoctor, moment: datetime) -> None:
        """Bring an idle doctor's next look forward to `moment`."""
        if id(doctor) in self._due and self._due[id(doctor)] > moment:
            self.add(moment, doctor)

    def pop(self) -> tuple[datetime, Any]:
        while True:
            moment, _, item = heapq.heappop(self._heap)
            if not isinstance(item, PlayedDoctor):
                return moment, item
            if self._due.get(id(item)) == moment:  # skip entries a wake-up superseded
                del self._due[id(item)]
                return moment, item


def _name(item: Any) -> str:
    return f"doctor {item.doctor_id}" if isinstance(item, PlayedDoctor) else str(item[0])


def _as_doctor(doctor: PlayedDoctor) -> Actor:
    return Actor(user_id=None, role=Role.DOCTOR, name="live demo", doctor_id=doctor.doctor_id)


def _department_of(doctors: Sequence[PlayedDoctor], index: int) -> int:
    departments = sorted({d.department_id for d in doctors})
    return departments[index % len(departments)]


def _doctor_of(doctors: Sequence[PlayedDoctor], department: int, index: int) -> int:
    department_id = _department_of(doctors, department)
    ours = [d.doctor_id for d in doctors if d.department_id == department_id]
    return ours[index % len(ours)]


async def _status(db: AsyncSession, ticket_id: int) -> TicketStatus:
    ticket = await load_ticket(db, ticket_id, lock=False)
    return ticket.appointment.status


async def _open_slots(
    db: AsyncSession, doctor_ids: list[int], at: datetime, now: datetime
) -> list[int]:
    """Return the doctors' slots running at `at` and the ones after, not started, with room."""
    rows = await db.scalars(
        select(Slot.id)
        .where(
            Slot.doctor_id.in_(doctor_ids),
            Slot.ends_at > at,
            Slot.starts_at >= now,
            Slot.booked < Slot.capacity + Slot.overbook_cap,
        )
        .order_by(Slot.starts_at, Slot.booked, Slot.doctor_id)
        .limit(3)
    )
    return list(rows)


async def _open_day(
    db: AsyncSession, day: LiveDay, timeline: Timeline, now: datetime
) -> tuple[list[PlayedDoctor], datetime | None]:
    """Give every shift its session on the wall clock (keep a doctor's existing one).

    Return the doctors and when the last new session ends.
    """
    departments = list(await db.scalars(select(Department).order_by(Department.id)))
    if not departments:
        raise RuntimeError("the live demo needs a clinic: run `clinic demo seed` first")
    played: list[PlayedDoctor] = []
    ends: list[datetime] = []
    for shift in day.shifts:
        department = departments[shift.department % len(departments)]
        ours = list(
            await db.scalars(
                select(Doctor).where(Doctor.department_id == department.id).order_by(Doctor.id)
            )
        )
        if not ours:
            continue
        doctor = ours[shift.doctor % len(ours)]
        if any(p.doctor_id == doctor.id for p in played):
            continue
        wall = timeline.session(shift.starts_min, shift.ends_min, day.slot_min)
        try:
            async with db.begin_nested():
                await admin.create_session(
                    db,
                    PLAYER,
                    doctor_id=doctor.id,
                    starts_at=wall.starts_at,
                    ends_at=wall.ends_at,
                    now=now,
                    slot_minutes=wall.slot_minutes,
                    capacity_per_slot=wall.places,
                    overbook_cap=wall.places,
                )
            ends.append(wall.ends_at)
        except DomainError as error:  # SESSION_OVERLAP: a session of theirs already runs
            log.info("live demo: %s keeps its session (%s)", doctor.name, error.code)
        played.append(PlayedDoctor(doctor.id, department.id, shift))
    return played, max(ends, default=None)


async def _register(db: AsyncSession, day: LiveDay, rng: random.Random, now: datetime) -> list[int]:
    """Register the day's patients (each visit is a new one) and return their ids."""
    from server.demo import FIRST, LAST

    base = 1000 + int(await db.scalar(select(func.count(Patient.id))) or 0)
    patients = []
    for index, visit in enumerate(day.visits):
        who = visit.patient
        patient = Patient(
            record_number=f"MRN-{base + index}",
            full_name=who.name if who else f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            date_of_birth=who.born if who else date(1940, 1, 1) + timedelta(rng.randrange(29200)),
            sex=who.sex if who else rng.choice("FM"),
            phone=f"+1555{rng.randrange(1000000, 9999999)}",
            created_at=now,
        )
        db.add(patient)
        patients.append(patient)
    await db.flush()
    return [p.id for p in patients]


DEMO_DEPARTMENTS = ("general", "paediatrics", "cardiology")  # the demo clinic's, in its order
SCENARIO_PATIENTS = 1800


def scenario_day(number: int, day: date, seed: int = 14) -> LiveDay:
    """Return day `number` of the demo: sim's synthetic scenario for `day`, in clinic minutes.

    Rows of the three departments the demo clinic has, in its order; every day a fresh seed.
    """
    from server.simulation.scenario import build_scenario, synthetic_records

    records = [
        r
        for r in synthetic_records(seed + number, days=1, patients=SCENARIO_PATIENTS, day=day)
        if r.department in DEMO_DEPARTMENTS
    ]
    scenario = build_scenario(records, days=1, seed=seed + number)
    return live_day(scenario)


def live_day(scenario: Scenario) -> LiveDay:
    """Turn the first day of a scenario into clinic minutes from its opening."""
    layout, [today] = scenario.layout, scenario.days[:1]
    names = {d.code: d.name for d in layout.departments}
    order = sorted(layout.simulated, key=lambda c: _rank(names[c], c))
    index = {code: i for i, code in enumerate(order)}
    doctors = {d.key: d for d in layout.doctors}
    sessions = [s for s in layout.sessions if s.day == today.day]
    opens = min(s.starts_at for s in sessions)

    def minute(moment: datetime) -> float:
        return (moment - opens) / timedelta(minutes=1)

    late = {x.doctor: x.minutes for x in today.lateness}
    shifts = []
    for s in sessions:
        doctor = doctors[s.doctor]
        mates = [d.key for d in layout.doctors if d.department == doctor.department]
        shifts.append(
            Shift(
                index[doctor.department],
                mates.index(doctor.key),
                minute(s.starts_at),
                minute(s.ends_at),
                late_min=late.get(s.doctor, 0.0),
            )
        )
    visits = []
    for r in today.requests:
        slot = minute(r.preferred_at)
        visits.append(
            Visit(
                VisitKind.BOOKED,
                index[r.department],
                r.consult_min,
                arrives_min=max(0.0, slot + r.punctuality_min) if r.shows else None,
                booked_min=minute(r.requested_at),
                slot_min=slot,
                patient=scenario.patients.get(r.patient),
            )
        )
    for a in (*today.walk_ins, *today.emergencies):
        emergency = a.kind == "emergency"
        visits.append(
            Visit(
                VisitKind.EMERGENCY if emergency else VisitKind.WALK_IN,
                index[a.department],
                a.consult_min,
                arrives_min=minute(a.at),
                urgency=Urgency.EMERGENCY if emergency else Urgency.ROUTINE,
                patient=scenario.patients.get(a.patient),
            )
        )
    # Bookings made before the day go in appointment order, so that early slots go first.
    visits.sort(key=lambda v: (v.booked_min > 0, v.slot_min or 0.0, v.booked_min))
    closes = max(minute(s.ends_at) for s in sessions)
    slot_min = min(s.slot_minutes for s in sessions)
    return LiveDay(closes, slot_min, tuple(shifts), tuple(visits))


def _rank(name: str, code: str) -> tuple[int, str]:
    known = name.lower() in DEMO_DEPARTMENTS
    return (DEMO_DEPARTMENTS.index(name.lower()) if known else len(DEMO_DEPARTMENTS), code)


@dataclass
class LiveDemo:
    """Demo days played in the background while the server runs (started by server/runtime)."""

    services: Services
    speed: float
    days: DaySource = scenario_day
    player: Player | None = None
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start playing days."""
        self.player = Player(self.services, self.days, self.speed)
        self.task = asyncio.create_task(_keep_playing(self.player))
        log.info("live demo: playing clinic days at %g clinic minutes a minute", self.speed)

    async def stop(self) -> None:
        """Stop playing, before the jobs and the database close."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


async def _keep_playing(player: Player) -> None:
    while True:
        try:
            await player.run()
        except Exception:  # the database went away, say: try again, never stop the server
            log.exception("live demo: the day failed; starting another in a few seconds")
            await asyncio.sleep(5)
