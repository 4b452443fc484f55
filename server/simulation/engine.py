"""Run a scenario's days under one policy through the real actions, jobs and database.

Everything that decides is production code: `book` (with the scorer and the booking-time
overbooking check), `check_in`, `register_walk_in`, `insert_emergency`, `call_next`,
`start`, `complete`, `mark_no_show`, `requeue`, the session delay, the nightly rescore and
allocation jobs, and the greedy and CP-SAT re-planning job, on a real database with the
app's clock replaced by the simulation's. Only the people are simulated: when patients ask,
come and how long they need, and when doctors start.
"""

from __future__ import annotations

import logging
import time as wallclock
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import simpy
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin, booking, queue
from server.auth.actor import SYSTEM
from server.background.registry import FUNCTIONS
from server.config import Settings
from server.db import make_engine
from server.errors import DomainError
from server.ml.db_source import load_history_from_db
from server.ml.jobs import rescore, retrain_if_better
from server.models import (
    Appointment,
    Base,
    Department,
    Doctor,
    DoctorSession,
    Patient,
    Room,
    Slot,
    Source,
    Ticket,
)
from server.queries.queues import department_snapshot
from server.queue.order import Urgency
from server.queue.state import TicketStatus
from server.runtime import ProcessRole, build_runtime
from server.scheduling import allocation, triggers, versions
from server.scheduling.settings import SolverSettings
from server.scoring import ModelScorer
from server.simulation.driver import Driver, Failed, Process, SimJobs
from server.simulation.policies import FLAT_SLACK, POLICIES, Policy, flat_slots
from server.simulation.scenario import Arrival, BookingRequest, DayScenario, Scenario, at, aware

log = logging.getLogger(__name__)
NIGHTLY_AT = time(3, 15)  # the production cron's allocation time
ALLOCATION_DAYS_AHEAD = 7
NO_SHOW_AFTER_MIN = 30.0  # staff mark a booking no-show this long after its time
DAY_CUTOFF_MIN = 240.0  # doctors stop at the latest this long after their session's end
BOOKING_TRIES = 3  # overbooking candidates tried before a request is refused


@dataclass(frozen=True, slots=True)
class RunConfig:
    """How to run: where the database is, the model registry, the solver's wall budgets.

    CP-SAT always runs with one worker on deterministic time and the policy's fixed seed
    (`SolverPolicy.random_seed`, 0), so a run is reproducible unless a wall budget cuts in.
    """

    database_url: str
    models_dir: Path | None = None  # the registry the "model" scorer loads
    resequence_time_limit_s: float = 0.3
    allocation_time_limit_s: float = 2.0
    observe: bool = True  # record what each waiting patient is shown after every change


@dataclass(frozen=True, slots=True)
class Shown:
    """What a waiting patient's screen said at one moment."""

    ticket_id: int
    at: datetime
    position: int | None
    wait_min: float | None
    doctor_id: int | None


@dataclass
class RunResult:
    """What happened: visits by ticket, sessions, what patients were shown, and counts."""

    policy: str
    visits: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)
    emergencies: list[tuple[int, datetime]] = field(default_factory=list)  # department, arrival
    requests: int = 0
    refused: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0


async def create_schema(url: str) -> None:
    """Create the tables on an empty database (a fresh SQLite file, or emptied MariaDB)."""
    settings = Settings(database_url=url, mode="test", secret_key="x" * 48)
    engine = make_engine(settings)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()


class Clinic:
    """One policy's run of a scenario."""

    def __init__(self, scenario: Scenario, policy: Policy, config: RunConfig) -> None:
        self.scenario, self.policy, self.config = scenario, policy, config
        self.result = RunResult(policy.name)
        self.settings = Settings(
            database_url=config.database_url,
            mode="test",
            secret_key="simulation-" + "x" * 40,
            default_consultation_min=scenario.params.slot_minutes,
            model_dir=config.models_dir,
        )
        first = min(
            [r.requested_at for d in scenario.days for r in d.requests]
            + [at(scenario.days[0].day, time(0)) - timedelta(days=ALLOCATION_DAYS_AHEAD)]
        )
        self.origin = first.replace(hour=0, minute=0, second=0, microsecond=0)
        self.jobs = SimJobs(FUNCTIONS, {})
        self.driver = Driver(self.origin, self.jobs)
        settings = SolverSettings(
            resequence_time_limit_s=config.resequence_time_limit_s,
            allocation_time_limit_s=config.allocation_time_limit_s,
            num_workers=1,
            deterministic=True,
        )
        if policy.max_expected_excess is not None:
            settings = settings.model_copy(
                update={"max_expected_excess": policy.max_expected_excess}
            )
        self.runtime = build_runtime(
            self.settings,
            ProcessRole.SIMULATION,
            clock=self.driver.now,
            jobs=self.jobs,
            solver_settings=settings,
        )
        self.services = self.runtime.services
        self.jobs.ctx.update(self.runtime.job_context())
        self.ids: dict[str, int] = {}  # scenario key -> database id (departments, doctors, ...)
        self.consult: dict[int, float] = {}  # ticket id -> minutes the consultation takes
        self.signals: dict[int, simpy.Event] = {}
        self.touched: set[int] = set()
        self.arrivals: Counter[int] = Counter()  # tickets that started waiting, per department

    # --- setting up -------------------------------------------------------------------

    async def setup(self) -> None:
        """Build the clinic, its patients and their history through the actions."""
        await self.services.run(self._departments)
        await self.services.run(self._doctors)
        await self.services.run(self._patients)
        self.services.hub.listen_in_transaction(versions.on_event)
        self.services.hub.subscribe(allocation.subscriber(self.services))
        if self.policy.resequence:
            self.services.hub.subscribe(triggers.subscriber(self.services))
        self.services.hub.subscribe(self._on_commit)
        if self.policy.scorer == "model":
            self.services.scorer = ModelScorer(self.settings.models_path, check_s=1e9)
        if self.policy.overbooking == "flat":
            self.overbook = booking.OverbookPolicy(max_expected_excess=FLAT_SLACK)
        else:
            self.overbook = self.services.overbooking
        if self.config.observe:
            self.driver.end_of_instant.append(self._observe)

    async def _departments(self, db: AsyncSession) -> None:
        now = self.origin
        for spec in self.scenario.layout.departments:
            row = Department(
                code=spec.code,
                name=spec.name[:100],
                token_prefix=spec.token_prefix,
                base_no_show_rate=spec.base_no_show_rate,
            )
            db.add(row)
            await db.flush()
            self.ids[spec.code] = row.id
        for who in self.scenario.layout.doctors:
            room = Room(department_id=self.ids[who.department], name=who.room)
            db.add(room)
            await db.flush()
            doctor = await admin.create_doctor(
                db,
                SYSTEM,
                department_id=self.ids[who.department],
                name=who.name[:200],
                room_id=room.id,
                now=now,
            )
            self.ids[who.key] = doctor.id

    async def _doctors(self, db: AsyncSession) -> None:
        rates = {d.code: d.base_no_show_rate for d in self.scenario.layout.departments}
        department_of = {d.key: d.department for d in self.scenario.layout.doctors}
        cap = 0 if self.policy.overbooking in ("none", "flat") else 1
        for spec in self.scenario.layout.sessions:
            block = await admin.create_session(
                db,
                SYSTEM,
                doctor_id=self.ids[spec.doctor],
                starts_at=spec.starts_at,
                ends_at=spec.ends_at,
                now=self.origin,
                slot_minutes=spec.slot_minutes,
                overbook_cap=cap,
            )
            self.ids[f"session:{spec.doctor}:{spec.day}"] = block.id
            if self.policy.overbooking == "flat":
                chosen = flat_slots(spec.slots, rates[department_of[spec.doctor]])
                slots = (
                    await db.scalars(
                        select(Slot.id).where(Slot.session_id == block.id).order_by(Slot.starts_at)
                    )
                ).all()
                picked = [slots[i] for i in chosen]
                if picked:
                    await db.execute(update(Slot).where(Slot.id.in_(picked)).values(overbook_cap=1))

    async def _patients(self, db: AsyncSession, everyone: bool = False) -> None:
        wanted = {r.patient for d in self.scenario.days for r in d.requests}
        wanted |= {a.patient for d in self.scenario.days for a in (*d.walk_ins, *d.emergencies)}
        if everyone:
            wanted |= {r.patient_key for r in self.scenario.history}
        rows = [
            {
                "record_number": key[:32],
                "full_name": spec.name,
                "date_of_birth": spec.born,
                "sex": spec.sex,
                "created_at": self.origin,
            }
            for key in sorted(wanted)
            for spec in (self.scenario.patients[key],)
        ]
        for chunk in range(0, len(rows), 500):
            await db.execute(insert(Patient), rows[chunk : chunk + 500])
        found = await db.execute(select(Patient.record_number, Patient.id))
        by_number = dict(found.tuples().all())
        for key in wanted:
            self.ids[f"patient:{key}"] = by_number[key[:32]]
        # The patients' earlier visits, as the clinic's database would hold them.
        names = {d.name: d.code for d in self.scenario.layout.departments}
        history = [
            {
                "patient_id": self.ids[f"patient:{r.patient_key}"],
                "department_id": self.ids[names[r.department or ""]],
                "day": r.appointment_day,
                "source": Source.ONLINE,
                "urgency": Urgency.ROUTINE,
                "status": TicketStatus.NO_SHOW if r.no_show else TicketStatus.COMPLETED,
                "booked_at": aware(r.booked_at),
                "updated_at": aware(r.booked_at),
                "reason": "",
                "overbooked": False,
                "overbook_reason": "",
            }
            for r in self.scenario.history
            if r.patient_key in wanted
        ]
        for chunk in range(0, len(history), 500):
            await db.execute(insert(Appointment), history[chunk : chunk + 500])

    # --- running ----------------------------------------------------------------------

    async def run(self) -> RunResult:
        """Set up, play every day, collect what happened."""
        started = wallclock.perf_counter()
        await self.setup()
        self._schedule()
        await self.driver.run()
        await self._collect()
        await self.services.engine.dispose()
        self.result.jobs = dict(self.jobs.runs)
        self.result.wall_s = wallclock.perf_counter() - started
        return self.result

    def _schedule(self) -> None:
        days = [d.day for d in self.scenario.days]
        if self.policy.overbooking == "allocation":
            night = days[0] - timedelta(days=ALLOCATION_DAYS_AHEAD - 1)
            while night <= days[-1]:
                ahead = [d for d in days if night <= d < night + timedelta(ALLOCATION_DAYS_AHEAD)]
                self.driver.at(at(night, NIGHTLY_AT), self._nightly(ahead))
                night += timedelta(days=1)
        for day in self.scenario.days:
            for request in day.requests:
                self.driver.at(request.requested_at, self._patient(request))
            for arrival in (*day.walk_ins, *day.emergencies):
                self.driver.at(arrival.at, self._walk_in(arrival))
            self._doctors_of(day)

    def _nightly(self, days: list[date]) -> Callable[[], Process]:
        def process() -> Process:
            if self.policy.scorer == "model":
                yield self.driver.act(self._rescore)
            for day in days:
                yield self.driver.act(self._allocate(day))

        return process

    async def _rescore(self) -> None:
        """The nightly re-score (`server.background.ml.rescore_bookings`) with the loaded model.

        The job loads the model from the registry each night (seconds, with its checks);
        the simulation's scorer already holds the same model, so it is used instead.
        """
        scorer = self.services.scorer
        if not isinstance(scorer, ModelScorer):
            raise TypeError(f"the simulation scores with a ModelScorer, not {scorer!r}")
        history = await self.services.read(load_history_from_db)
        scores = rescore(scorer.predictor, history)

        async def store(db: AsyncSession) -> None:
            for key, probability in scores.items():
                await db.execute(
                    update(Appointment)
                    .where(Appointment.id == int(key))
                    .values(no_show_probability=probability)
                    .execution_options(synchronize_session=False)
                )

        await self.services.run(store)

    def _allocate(self, day: date) -> Callable[[], Awaitable[Any]]:
        return lambda: FUNCTIONS["allocate"](self.jobs.ctx, str(day))

    def _signal(self, department_id: int) -> simpy.Event:
        if department_id not in self.signals:
            self.signals[department_id] = self.driver.env.event()
        return self.signals[department_id]

    def _wake(self, department_id: int) -> None:
        event = self.signals.pop(department_id, None)
        if event is not None and not event.triggered:
            event.succeed()

    async def _on_commit(self, events: Any) -> None:
        today = self.driver.now().date().isoformat()
        for event in events:
            if event.day == today:  # a booking for a later day changes no screen of today's
                self.touched.add(event.department_id)
            if event.status == TicketStatus.WAITING.value:
                self.arrivals[event.department_id] += 1
                self._wake(event.department_id)

    def _patient(self, request: BookingRequest) -> Callable[[], Process]:
        def process() -> Process:
            self.result.requests += 1
            ticket = yield from self._book(request)
            if ticket is None:
                self.result.refused += 1
                return
            ticket_id, scheduled = ticket
            self.consult[ticket_id] = request.consult_min
            arrives = scheduled + timedelta(minutes=request.punctuality_min)
            arrives = max(arrives, self.driver.now())
            mark = scheduled + timedelta(minutes=NO_SHOW_AFTER_MIN)
            if not request.shows or arrives > mark:
                yield self.driver.env.timeout(self.driver.minutes(mark) - self.driver.env.now)
                yield self.driver.act(self._run(queue.mark_no_show, ticket_id=ticket_id))
            if not request.shows:
                return
            yield self.driver.env.timeout(
                max(0.0, self.driver.minutes(arrives) - self.driver.env.now)
            )
            done = yield self.driver.act(self._run(queue.check_in, ticket_id=ticket_id))
            if isinstance(done, Failed):  # marked no-show a moment ago: back in the queue
                yield self.driver.act(self._run(queue.requeue, ticket_id=ticket_id))

        return process

    def _run(self, action: Callable[..., Any], **kwargs: Any) -> Callable[[], Any]:
        async def work() -> Any:
            now = self.driver.now()
            return await self.services.run(lambda s: action(s, SYSTEM, now=now, **kwargs))

        return work

    def _book(self, request: BookingRequest) -> Any:
        department_id = self.ids[request.department]
        candidates = yield self.driver.act(
            lambda: self.services.read(lambda s: self._candidates(s, department_id, request))
        )
        free, over = candidates
        for slot_id in [*free[:1], *over[:BOOKING_TRIES]]:
            ticket = yield self.driver.act(self._book_slot(request, slot_id))
            if not isinstance(ticket, Failed):
                return ticket
            if not isinstance(ticket.error, DomainError):
                raise ticket.error
        return None

    def _book_slot(self, request: BookingRequest, slot_id: int) -> Callable[[], Any]:
        async def work() -> tuple[int, datetime]:
            now = self.driver.now()

            async def book(db: AsyncSession) -> tuple[int, datetime]:
                ticket = await booking.book(
                    db,
                    SYSTEM,
                    patient_id=self.ids[f"patient:{request.patient}"],
                    choice=booking.SlotChoice(slot_id=slot_id),
                    now=now,
                    scorer=self.services.scorer,
                    policy=self.overbook,
                )
                scheduled = ticket.appointment.scheduled_at
                if scheduled is None:  # a booking always has its slot's time
                    raise RuntimeError(f"booking {ticket.id} has no time")
                return ticket.id, scheduled

            return await self.services.run(book)

        return work

    async def _candidates(
        self, db: AsyncSession, department_id: int, request: BookingRequest
    ) -> tuple[list[int], list[int]]:
        """Slots of the department-day by closeness to the preferred time, from it onward."""
        now = self.driver.now()
        rows = (
            await db.execute(
                select(Slot.id, Slot.starts_at, Slot.booked, Slot.capacity, Slot.overbook_cap)
                .join(Doctor, Doctor.id == Slot.doctor_id)
                .where(Doctor.department_id == department_id, Slot.starts_at >= now)
                .where(Slot.starts_at >= at(request.day, time(0)))
                .where(Slot.starts_at < at(request.day, time(0)) + timedelta(days=1))
            )
        ).tuples()
        preferred = request.preferred_at

        def order(row: Any) -> tuple[int, float, int]:
            gap = (row[1] - preferred) / timedelta(minutes=1)
            return (0 if gap >= -1e-9 else 1, abs(gap), row[0])

        ranked = sorted(rows, key=order)
        free = [r[0] for r in ranked if r[2] < r[3]]
        over = [r[0] for r in ranked if r[3] <= r[2] < r[3] + r[4]]
        return free, over

    def _walk_in(self, arrival: Arrival) -> Callable[[], Process]:
        def process() -> Process:
            department_id = self.ids[arrival.department]
            patient_id = self.ids[f"patient:{arrival.patient}"]
            now = self.driver.now()
            if arrival.kind == "emergency":
                self.result.emergencies.append((department_id, now))
                work = self._run(
                    queue.insert_emergency, department_id=department_id, patient_id=patient_id
                )
            else:
                work = self._run(
                    booking.register_walk_in, department_id=department_id, patient_id=patient_id
                )
            ticket = yield self.driver.act(work)
            if isinstance(ticket, Failed):
                raise ticket.error
            self.consult[ticket.id] = arrival.consult_min

        return process

    def _doctors_of(self, day: DayScenario) -> None:
        late = {(d.doctor, d.day): d.minutes for d in day.lateness}
        for spec in self.scenario.layout.sessions:
            if spec.day != day.day:
                continue
            minutes = late.get((spec.doctor, spec.day), 0.0)
            self.driver.at(
                spec.starts_at + timedelta(minutes=minutes),
                self._doctor(spec.doctor, spec.day, spec.ends_at, minutes),
            )

    def _doctor(self, key: str, day: date, ends_at: datetime, late: float) -> Callable[[], Process]:
        doctor_id = self.ids[key]
        department_id = self.ids[key.rsplit("-", 1)[0]]
        cutoff = ends_at + timedelta(minutes=DAY_CUTOFF_MIN)

        def process() -> Process:
            env = self.driver.env
            if late >= self.scenario.params.delay_report_min:
                session_id = self.ids[f"session:{key}:{day}"]
                yield self.driver.act(lambda: self._delay(session_id, round(late)))
            while self.driver.now() < cutoff:
                before = self.arrivals[department_id]
                ticket = yield self.driver.act(self._run(queue.call_next, doctor_id=doctor_id))
                if isinstance(ticket, Failed):
                    if self.arrivals[department_id] != before:
                        continue  # someone started waiting at this same instant
                    if self.driver.now() >= ends_at:
                        return  # nobody waiting after the session's end: the doctor leaves
                    signal = self._signal(department_id)
                    yield signal | env.timeout(self.driver.minutes(ends_at) - env.now)
                    continue
                yield self.driver.act(self._run(queue.start, ticket_id=ticket.id))
                yield env.timeout(
                    self.consult.get(ticket.id, self.scenario.params.consult_mean_min)
                )
                yield self.driver.act(self._run(queue.complete, ticket_id=ticket.id))

        return process

    async def _delay(self, session_id: int, minutes: int) -> None:
        """The session delay, through the action `POST /api/admin/sessions/<id>/delay` runs."""
        now = self.driver.now()

        async def work(db: AsyncSession) -> tuple[int, date]:
            row = await admin.delay_session(
                db, SYSTEM, session_id=session_id, delay_minutes=minutes, now=now
            )
            department_id = (await db.get(Doctor, row.doctor_id)).department_id  # type: ignore[union-attr]
            return department_id, row.day

        department_id, day = await self.services.run(work)
        if self.policy.resequence:
            await triggers.request_resequence(self.services, department_id, day)

    def _snapshot(
        self, department_id: int, now: datetime
    ) -> Callable[[AsyncSession], Awaitable[dict[str, Any]]]:
        default = self.settings.default_consultation_min

        async def read(db: AsyncSession) -> dict[str, Any]:
            return await department_snapshot(
                db, department_id, now.date(), now, names=False, default_min=default
            )

        return read

    async def _observe(self) -> None:
        touched, self.touched = self.touched, set()
        now = self.driver.now()
        for department_id in sorted(touched):
            snapshot = await self.services.read(self._snapshot(department_id, now))
            for t in snapshot["tickets"]:
                if t["status"] == TicketStatus.WAITING.value:
                    self.result.shown.append(
                        Shown(
                            t["ticket_id"],
                            now,
                            t["position"],
                            t["wait_min"],
                            t["expected_doctor_id"],
                        )
                    )

    # --- collecting -------------------------------------------------------------------

    async def _collect(self) -> None:
        days = [d.day for d in self.scenario.days]

        async def read(db: AsyncSession) -> None:
            rows = await db.execute(
                select(
                    Ticket.id,
                    Ticket.queue_department_id,
                    Ticket.doctor_id,
                    Ticket.arrived_at,
                    Appointment.day,
                    Appointment.status,
                    Appointment.source,
                    Appointment.urgency,
                    Appointment.overbooked,
                    Appointment.no_show_probability,
                    Appointment.slot_id,
                    Appointment.scheduled_at,
                    Appointment.checked_in_at,
                    Appointment.called_at,
                    Appointment.started_at,
                    Appointment.completed_at,
                    Appointment.no_show_at,
                )
                .join(Ticket, Ticket.appointment_id == Appointment.id)
                .where(Appointment.day.in_(days))
            )
            self.result.visits = [dict(r._mapping) for r in rows]
            sessions = await db.execute(
                select(
                    DoctorSession.doctor_id,
                    DoctorSession.day,
                    DoctorSession.starts_at,
                    DoctorSession.ends_at,
                    Doctor.department_id,
                ).join(Doctor, Doctor.id == DoctorSession.doctor_id)
            )
            self.result.sessions = [dict(r._mapping) for r in sessions]

        await self.services.read(read)


async def train_model(scenario: Scenario, database_url: str, registry_dir: Path) -> str:
    """Train the no-show model the production way: history into a database, the nightly job.

    The rows go in as the clinic's database holds them (what `to_record` reads back), so the
    model sees at training exactly what it will see when scoring a booking.
    """
    await create_schema(database_url)
    clinic = Clinic(scenario, POLICIES["fcfs"], RunConfig(database_url=database_url))
    await clinic.services.run(clinic._departments)
    await clinic.services.run(lambda s: clinic._patients(s, everyone=True))
    history = await clinic.services.read(load_history_from_db)
    await clinic.services.engine.dispose()
    result = await retrain_if_better(history, registry_dir)
    if result.version is None:
        raise RuntimeError(f"no model trained: {result.reason}")
    return result.version


async def run_policy(scenario: Scenario, policy: Policy, config: RunConfig) -> RunResult:
    """Play the scenario under one policy on a fresh schema at `config.database_url`."""
    await create_schema(config.database_url)
    return await Clinic(scenario, policy, config).run()
