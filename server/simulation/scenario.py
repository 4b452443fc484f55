"""A clinic to simulate: its layout, who asks for which day and when, and what then happens.

Pure: frozen dataclasses in, frozen dataclasses out; no database, no clock. A scenario is
built from appointment rows (`ApptRecord`, the model's own record: a Vitória-format CSV read by
`server.ml.dataset.read_csv`, or `server.ml.synth`'s generator) by one deterministic rule:

* **Departments**: each distinct `department` of the rows (a Vitória neighbourhood health
  unit) is a department, numbered in name order. With `max_departments` only the N with the
  most booking requests on the simulated days are simulated (ties by name): whole units are
  sampled, rows within a unit never are, and no outcome is looked at.
* **Simulated days**: the last `days` appointment days of the rows; earlier rows are the
  history (training data and the patients' past visits), later ones are not used.
* **Sessions**: per department-day, `slots = ceil(requests * (1 - base rate))` places (the
  day's requests at the unit's base show rate from history), 15-minute slots of capacity 1,
  `ceil(slots / 32)` doctors each with `ceil(slots / doctors)` slots from opening time. A
  department has as many doctors as its busiest day needs.
* **Requests**: every row of a simulated day is one booking request, made at its
  `booked_at` (ScheduledDay) for its day, for a preferred time drawn uniformly over the
  department-day's opening (a same-day request at least `same_day_notice_min` after it is
  made). Whether the patient comes is the row's own outcome (`shows`), which no policy sees.
* **What the rows lack** (`Parameters`): punctuality, consultation lengths, walk-ins,
  emergencies and doctor lateness, drawn per replication from streams keyed by the thing
  drawn (`randomness.stream`), so every policy meets the same patients.

API::

    scenario = build_scenario(records, days=5, seed=1, replication=0)
    scenario = synthetic_scenario(seed=1, days=1, day=date.today())  # for a live demo
    scenario.layout.departments / .doctors / .sessions   # the clinic
    scenario.patients                                     # everyone who appears, by key
    scenario.history                                      # rows before the simulated days
    for day in scenario.days:                             # DayScenario, in date order
        day.requests      # BookingRequest: requested_at, preferred_at, shows, punctuality_min,
                          #   consult_min
        day.walk_ins      # Arrival (kind "walk_in"): at, consult_min
        day.emergencies   # Arrival (kind "emergency")
        day.lateness      # DoctorLate: doctor, minutes late at the session's start
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from server.ml import synth
from server.ml.features import ApptRecord
from server.simulation.params import DEFAULTS, Parameters
from server.simulation.randomness import lognormal, poisson, stream

DEFAULT_RATE = 0.2  # no-show rate when there is no history at all
RATE_SMOOTHING = 20  # a unit's base rate is pulled toward the clinic's by 20 pseudo-rows
FIRST_NAMES = ("Ana", "Bruno", "Carla", "Davi", "Elisa", "Fábio", "Gisele", "Hugo", "Iara")
LAST_NAMES = ("Almeida", "Barros", "Costa", "Dias", "Esteves", "Ferreira", "Gomes", "Lima")


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    """A department (one health unit of the data) and its base no-show rate from history."""

    code: str
    name: str
    token_prefix: str
    base_no_show_rate: float


@dataclass(frozen=True, slots=True)
class DoctorSpec:
    """A doctor of a department, with a room of their own."""

    key: str
    department: str
    name: str
    room: str


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """A doctor's working block on one day, cut into slots of one place each."""

    doctor: str
    day: date
    starts_at: datetime
    ends_at: datetime
    slot_minutes: int

    @property
    def slots(self) -> int:
        """Count the session's slots."""
        return int((self.ends_at - self.starts_at) / timedelta(minutes=self.slot_minutes))


@dataclass(frozen=True, slots=True)
class Layout:
    """The clinic: every department of the data, doctors and sessions of the simulated ones."""

    departments: tuple[DepartmentSpec, ...]
    doctors: tuple[DoctorSpec, ...]
    sessions: tuple[SessionSpec, ...]
    simulated: tuple[str, ...]  # codes of the departments that have doctors

    def department_of(self, name: str) -> DepartmentSpec:
        """Find a department by the data's name for it."""
        return next(d for d in self.departments if d.name == name)


@dataclass(frozen=True, slots=True)
class PatientSpec:
    """A person who books, walks in or comes as an emergency."""

    key: str
    name: str
    born: date
    sex: str


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """One booking request; `shows` is the real outcome, never shown to a policy."""

    key: str
    patient: str
    department: str  # code
    day: date
    requested_at: datetime
    preferred_at: datetime
    shows: bool
    punctuality_min: float  # arrival minus appointment time, if the patient comes
    consult_min: float


@dataclass(frozen=True, slots=True)
class Arrival:
    """A walk-in or an emergency: comes at `at` without a booking."""

    key: str
    patient: str
    department: str
    at: datetime
    consult_min: float
    kind: str  # "walk_in" or "emergency"


@dataclass(frozen=True, slots=True)
class DoctorLate:
    """A doctor who starts a session late."""

    doctor: str
    day: date
    minutes: float


@dataclass(frozen=True, slots=True)
class DayScenario:
    """Everything that asks for, or happens on, one simulated day."""

    day: date
    requests: tuple[BookingRequest, ...]  # in the order they are made
    walk_ins: tuple[Arrival, ...]
    emergencies: tuple[Arrival, ...]
    lateness: tuple[DoctorLate, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A clinic, its history and the simulated days of one replication."""

    layout: Layout
    patients: dict[str, PatientSpec]
    history: tuple[ApptRecord, ...]
    days: tuple[DayScenario, ...]
    params: Parameters
    seed: int
    replication: int


def at(day: date, clock: time) -> datetime:
    """Return the aware UTC datetime of a clock time on a day."""
    return datetime.combine(day, clock, tzinfo=UTC)


def aware(moment: datetime) -> datetime:
    """Read a naive datetime of the data as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def simulated_days(records: Sequence[ApptRecord], days: int) -> list[date]:
    """Return the last `days` appointment days of the rows."""
    found = sorted({r.appointment_day for r in records})
    if days < 1 or days > len(found):
        raise ValueError(f"asked for {days} days; the rows hold {len(found)} appointment days")
    return found[-days:]


def _prefix(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _rates(history: Sequence[ApptRecord]) -> tuple[float, dict[str, tuple[int, int]]]:
    done = [r for r in history if r.no_show is not None]
    overall = sum(bool(r.no_show) for r in done) / len(done) if done else DEFAULT_RATE
    per: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for r in done:
        n, ns = per[r.department or ""]
        per[r.department or ""] = (n + 1, ns + int(bool(r.no_show)))
    return overall, dict(per)


def _departments(names: Iterable[str], history: Sequence[ApptRecord]) -> tuple[DepartmentSpec, ...]:
    overall, per = _rates(history)
    specs = []
    for index, name in enumerate(sorted(set(names))):
        n, ns = per.get(name, (0, 0))
        rate = (ns + RATE_SMOOTHING * overall) / (n + RATE_SMOOTHING)
        specs.append(DepartmentSpec(f"U{index + 1:03d}", name, _prefix(index), round(rate, 4)))
    return tuple(specs)


def session_plan(requests: int, base_rate: float, params: Parameters) -> list[int]:
    """Size a department-day: slots per doctor for `requests` at the base show rate."""
    if requests == 0:
        return []
    slots = max(1, math.ceil(requests * (1.0 - base_rate)))
    doctors = math.ceil(slots / params.full_session_slots)
    return [math.ceil(slots / doctors)] * doctors


def _layout(
    departments: tuple[DepartmentSpec, ...],
    demand: dict[tuple[str, date], int],
    days: Sequence[date],
    simulated: Sequence[str],
    params: Parameters,
) -> Layout:
    by_code = {d.code: d for d in departments}
    doctors: list[DoctorSpec] = []
    sessions: list[SessionSpec] = []
    for code in simulated:
        spec = by_code[code]
        plans = {
            day: session_plan(demand.get((code, day), 0), spec.base_no_show_rate, params)
            for day in days
        }
        count = max((len(p) for p in plans.values()), default=0)
        keys = [f"{code}-D{i + 1}" for i in range(count)]
        doctors += [
            DoctorSpec(key, code, f"Dr. {spec.name.title()} {i + 1}", f"{spec.code} room {i + 1}")
            for i, key in enumerate(keys)
        ]
        for day, plan in plans.items():
            start = at(day, params.open_at)
            for key, slots in zip(keys, plan, strict=False):
                end = start + timedelta(minutes=slots * params.slot_minutes)
                sessions.append(SessionSpec(key, day, start, end, params.slot_minutes))
    return Layout(departments, tuple(doctors), tuple(sessions), tuple(simulated))


def _patient(record: ApptRecord | None, key: str, seed: int) -> PatientSpec:
    rng = stream(seed, "patient", key)
    age = record.age if record is not None and record.age is not None else rng.randint(0, 90)
    reference = record.appointment_day if record is not None else date(2016, 1, 1)
    born = date(reference.year - age, 1, 1) + timedelta(days=rng.randrange(0, 365))
    if born > reference:  # a baby born this year
        born = reference
    sex = (record.sex if record is not None else None) or rng.choice("FM")
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    return PatientSpec(key, name, born, sex[:1])


def _day_span(layout: Layout, code: str, day: date) -> tuple[datetime, datetime] | None:
    doctors = {d.key for d in layout.doctors if d.department == code}
    own = [s for s in layout.sessions if s.doctor in doctors and s.day == day]
    if not own:
        return None
    return min(s.starts_at for s in own), max(s.ends_at for s in own)


def _request(
    record: ApptRecord,
    code: str,
    span: tuple[datetime, datetime],
    base: tuple[object, ...],
    params: Parameters,
) -> BookingRequest:
    rng = stream(*base, "request", record.appointment_key)
    opening = (span[1] - span[0]) / timedelta(minutes=1)
    requested = aware(record.booked_at)
    preferred = span[0] + timedelta(minutes=rng.uniform(0, opening))
    if requested.date() == record.appointment_day:
        preferred = max(preferred, requested + timedelta(minutes=params.same_day_notice_min))
    return BookingRequest(
        key=record.appointment_key,
        patient=record.patient_key,
        department=code,
        day=record.appointment_day,
        requested_at=requested,
        preferred_at=preferred,
        shows=not record.no_show,
        punctuality_min=rng.gauss(params.punctuality_mean_min, params.punctuality_sd_min),
        consult_min=max(
            params.consult_min_min, lognormal(rng, params.consult_mean_min, params.consult_cv)
        ),
    )


def _arrivals(
    kind: str,
    code: str,
    day: date,
    count_mean: float,
    window: tuple[datetime, datetime],
    base: tuple[object, ...],
    params: Parameters,
) -> list[Arrival]:
    rng = stream(*base, kind, code, day)
    mean = params.emergency_consult_mean_min if kind == "emergency" else params.consult_mean_min
    minutes = (window[1] - window[0]) / timedelta(minutes=1)
    found = []
    for i in range(poisson(rng, count_mean)):
        found.append(
            Arrival(
                key=f"{kind}-{code}-{day.isoformat()}-{i + 1}",
                patient=f"{kind}-{code}-{day.isoformat()}-{i + 1}",
                department=code,
                at=window[0] + timedelta(minutes=rng.uniform(0, minutes)),
                consult_min=max(params.consult_min_min, lognormal(rng, mean, params.consult_cv)),
                kind=kind,
            )
        )
    return sorted(found, key=lambda a: (a.at, a.key))


def _day(
    day: date,
    rows: Sequence[ApptRecord],
    layout: Layout,
    codes: dict[str, str],
    base: tuple[object, ...],
    params: Parameters,
) -> DayScenario:
    requests: list[BookingRequest] = []
    walk_ins: list[Arrival] = []
    emergencies: list[Arrival] = []
    count = Counter(codes[r.department or ""] for r in rows)
    for code in layout.simulated:
        span = _day_span(layout, code, day)
        if span is None:
            continue
        own = [r for r in rows if codes[r.department or ""] == code]
        requests += [_request(r, code, span, base, params) for r in own]
        walk_end = span[0] + (span[1] - span[0]) * params.walk_in_window_share
        walk_ins += _arrivals(
            "walk_in",
            code,
            day,
            count[code] * params.walk_ins_per_100_requests / 100,
            (span[0], walk_end),
            base,
            params,
        )
        emergencies += _arrivals(
            "emergency",
            code,
            day,
            count[code] * params.emergencies_per_100_requests / 100,
            span,
            base,
            params,
        )
    lateness = []
    for s in layout.sessions:
        if s.day != day:
            continue
        rng = stream(*base, "late", s.doctor, day)
        if rng.random() < params.doctor_late_probability:
            lateness.append(
                DoctorLate(s.doctor, day, rng.expovariate(1 / params.doctor_late_mean_min))
            )
    return DayScenario(
        day=day,
        requests=tuple(sorted(requests, key=lambda r: (r.requested_at, r.key))),
        walk_ins=tuple(walk_ins),
        emergencies=tuple(emergencies),
        lateness=tuple(lateness),
    )


def build_scenario(
    records: Sequence[ApptRecord],
    *,
    days: int = 5,
    seed: int = 0,
    replication: int = 0,
    params: Parameters = DEFAULTS,
    max_departments: int | None = None,
) -> Scenario:
    """Build the scenario of the rows' last `days` appointment days (the module's rule)."""
    sim_days = simulated_days(records, days)
    first = sim_days[0]
    history = tuple(r for r in records if r.appointment_day < first)
    target = [r for r in records if r.appointment_day in set(sim_days)]
    departments = _departments((r.department or "" for r in records), history)
    codes = {d.name: d.code for d in departments}
    demand = Counter((codes[r.department or ""], r.appointment_day) for r in target)
    per_department = Counter(codes[r.department or ""] for r in target)
    ranked = sorted(per_department, key=lambda c: (-per_department[c], c))
    simulated = sorted(ranked[:max_departments] if max_departments else ranked)
    layout = _layout(departments, demand, sim_days, simulated, params)
    base: tuple[object, ...] = (seed, replication)
    by_day: dict[date, list[ApptRecord]] = defaultdict(list)
    for r in target:
        by_day[r.appointment_day].append(r)
    scenario_days = tuple(_day(d, by_day[d], layout, codes, base, params) for d in sim_days)
    first_seen: dict[str, ApptRecord] = {}
    for r in records:
        first_seen.setdefault(r.patient_key, r)
    patients = {key: _patient(r, key, seed) for key, r in first_seen.items()}
    for day in scenario_days:
        for a in (*day.walk_ins, *day.emergencies):
            patients[a.patient] = _patient(None, a.patient, seed)
    return Scenario(layout, patients, history, scenario_days, params, seed, replication)


def synthetic_records(
    seed: int = 0,
    *,
    days: int = 5,
    history_days: int = 28,
    patients: int = 2400,
    day: date | None = None,
) -> list[ApptRecord]:
    """Generate rows with `server.ml.synth`: history, then `days` open days (the last on `day`)."""
    total = history_days + days + 2 * (days // 5 + 1)  # calendar days holding `days` weekdays
    records = synth.generate(patients, total, seed)
    found = sorted({r.appointment_day for r in records})
    if len(found) < days + 1:
        raise ValueError("too few synthetic days; raise history_days")
    last = found[-1]
    if day is None:
        return records
    shift = day - last
    return [
        dataclasses.replace(
            r, booked_at=r.booked_at + shift, appointment_day=r.appointment_day + shift
        )
        for r in records
    ]


def synthetic_scenario(
    seed: int = 0,
    *,
    days: int = 1,
    day: date | None = None,
    patients: int = 2400,
    replication: int = 0,
    params: Parameters = DEFAULTS,
) -> Scenario:
    """Build a scenario from synthetic rows; the last simulated day falls on `day` if given."""
    records = synthetic_records(seed, days=days, patients=patients, day=day)
    return build_scenario(records, days=days, seed=seed, replication=replication, params=params)
