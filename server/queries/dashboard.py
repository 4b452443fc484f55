"""The admin's performance dashboard: one day's tickets, waits and no-shows, in figures."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import not_found
from server.models import (
    Appointment,
    Department,
    Doctor,
    DoctorSession,
    PriorityCategory,
    Slot,
    Ticket,
)
from server.models.appointments import Source
from server.queries.outcome import Block, capacity, doctor_days
from server.queries.outcome import percentile as percentile
from server.queue.order import Urgency
from server.queue.state import TicketStatus

# The keys of `by_status`: every status, then "transferred", which is not a status of its
# own (a transferred ticket waits again) but a manager counts it like one.
STATUS_KEYS = (*(s.value for s in TicketStatus), "transferred")
# A booking that nobody checked in once its slot is over did not come, marked or not.
MISSED = frozenset({TicketStatus.NO_SHOW, TicketStatus.BOOKED})
UNASSIGNED = "Not yet assigned"
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Visit:
    """One appointment of the day with the times of its status changes (aware, UTC)."""

    department_id: int
    doctor_id: int | None
    status: TicketStatus
    source: Source
    urgency: Urgency = Urgency.ROUTINE
    overbooked: bool = False
    no_show_probability: float | None = None
    slot_ends_at: datetime | None = None
    checked_in_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    transferred_at: datetime | None = None
    day: date | None = None
    priority_category_id: int | None = None


@dataclass(frozen=True, slots=True)
class Spread:
    """The median and 90th percentile of some durations, in minutes, and how many there were."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class NoShows:
    """Bookings whose slot is over: how many, how many never came, and what the model said."""

    due: int
    missed: int
    rate: float | None
    predicted: float | None  # the mean predicted no-show probability of the same bookings
    scored: int  # how many of them carry a prediction


@dataclass(frozen=True, slots=True)
class Metrics:
    """The figures of one group of visits: a department, a doctor, or the whole day."""

    tickets: int
    by_status: dict[str, int]
    walk_ins: int
    online: int
    emergencies: int
    overbooked: int
    wait_min: Spread
    consultation_min: Spread
    no_shows: NoShows
    seen_per_hour: list[int] = field(default_factory=list)
    # Doctors' sessions: utilisation, idle minutes, overtime per doctor-day (outcome.capacity).
    capacity: dict[str, float | int | None] = field(default_factory=dict)


def spread(minutes: Sequence[float]) -> Spread:
    """Summarise durations by their median and 90th percentile, rounded to 0.1 minute."""
    median, p90 = percentile(minutes, 0.5), percentile(minutes, 0.9)
    return Spread(
        count=len(minutes),
        median=None if median is None else round(median, 1),
        p90=None if p90 is None else round(p90, 1),
    )


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        # A requeued ticket waits again: its old call time is before its new arrival.
        return None
    return (end - start).total_seconds() / 60


def waits(visits: Iterable[Visit]) -> list[float]:
    """Return the minutes from arrival (check-in) to call of the visits called since arriving."""
    found = (_minutes(v.checked_in_at, v.called_at) for v in visits)
    return [m for m in found if m is not None]


def consultations(visits: Iterable[Visit]) -> list[float]:
    """Return the minutes from start to completion of the completed visits."""
    found = (_minutes(v.started_at, v.completed_at) for v in visits)
    return [m for m in found if m is not None]


def no_shows(visits: Iterable[Visit], now: datetime) -> NoShows:
    """Compare the no-show rate of bookings whose slot is over with their mean prediction."""
    due = [
        v
        for v in visits
        if v.source is Source.ONLINE
        and v.status is not TicketStatus.CANCELLED
        and v.slot_ends_at is not None
        and v.slot_ends_at <= now
    ]
    missed = sum(v.status in MISSED for v in due)
    scores = [v.no_show_probability for v in due if v.no_show_probability is not None]
    return NoShows(
        due=len(due),
        missed=missed,
        rate=round(missed / len(due), 3) if due else None,
        predicted=round(sum(scores) / len(scores), 3) if scores else None,
        scored=len(scores),
    )


def seen_per_hour(visits: Iterable[Visit], zone: tzinfo) -> list[int]:
    """Count completed visits per hour of the clinic's local day (24 buckets)."""
    hours = [0] * 24
    for v in visits:
        if v.status is TicketStatus.COMPLETED and v.completed_at is not None:
            hours[v.completed_at.astimezone(zone).hour] += 1
    return hours


def status_counts(visits: Iterable[Visit]) -> dict[str, int]:
    """Count visits per status, plus those transferred at some point of the day."""
    counts = dict.fromkeys(STATUS_KEYS, 0)
    for v in visits:
        counts[v.status.value] += 1
        counts["transferred"] += v.transferred_at is not None
    return counts


def session_blocks(blocks: Iterable[Block], now: datetime) -> list[Block]:
    """Keep the sessions that have started, each counted up to now at the latest."""
    return [
        Block(b.doctor_id, b.department_id, b.day, b.starts_at, min(b.ends_at, now))
        for b in blocks
        if b.starts_at < now
    ]


def summarize(
    visits: Sequence[Visit], now: datetime, zone: tzinfo, blocks: Sequence[Block] = ()
) -> Metrics:
    """Compute every figure of the dashboard for one group of visits (and their sessions)."""
    work = [(v.doctor_id, v.day, v.started_at, v.completed_at) for v in visits]
    return Metrics(
        tickets=len(visits),
        by_status=status_counts(visits),
        walk_ins=sum(v.source is Source.WALK_IN for v in visits),
        online=sum(v.source is Source.ONLINE for v in visits),
        emergencies=sum(v.urgency is Urgency.EMERGENCY for v in visits),
        # A cancelled overbooking no longer takes anyone's place.
        overbooked=sum(v.overbooked and v.status is not TicketStatus.CANCELLED for v in visits),
        wait_min=spread(waits(visits)),
        consultation_min=spread(consultations(visits)),
        no_shows=no_shows(visits, now),
        seen_per_hour=seen_per_hour(visits, zone),
        capacity=capacity(doctor_days(work, session_blocks(blocks, now))),
    )


def group_by(visits: Iterable[V], key: Callable[[V], K]) -> dict[K, list[V]]:
    """Split visits (or sessions) by `key`, keeping their order."""
    groups: dict[K, list[V]] = {}
    for v in visits:
        groups.setdefault(key(v), []).append(v)
    return groups


@dataclass(frozen=True, slots=True)
class Names:
    """Department and doctor names by id."""

    departments: dict[int, str]
    doctors: dict[int, str]
    # Priority categories by id: (name, maximum wait in minutes or None).
    categories: dict[int, tuple[str, int | None]] = field(default_factory=dict)


NO_CATEGORY = "No priority category"


def over_max_wait(visits: Iterable[Visit], max_wait_min: int | None, now: datetime) -> int:
    """Count visits that waited longer than the maximum: called after it, or still waiting."""
    if max_wait_min is None:
        return 0
    count = 0
    for v in visits:
        if v.checked_in_at is None:
            continue
        if v.status is TicketStatus.WAITING:
            waited = _minutes(v.checked_in_at, now)
        else:
            waited = _minutes(v.checked_in_at, v.called_at)
        count += waited is not None and waited > max_wait_min
    return count


def by_category(
    visits: Sequence[Visit], names: Names, now: datetime, zone: tzinfo
) -> list[dict[str, Any]]:
    """One row per priority category (then the patients without one): waits and the rest."""
    if not names.categories and all(v.priority_category_id is None for v in visits):
        return []
    groups = group_by(visits, lambda v: v.priority_category_id)
    rows: list[dict[str, Any]] = []
    ordered = sorted(names.categories.items(), key=lambda item: item[1][0].lower())
    for category_id, (name, max_wait) in [*ordered, (None, (NO_CATEGORY, None))]:
        mine = groups.get(category_id, [])
        rows.append(
            {
                "id": category_id,
                "name": name,
                "max_wait_min": max_wait,
                "over_max_wait": over_max_wait(mine, max_wait, now),
                "waiting": sum(v.status is TicketStatus.WAITING for v in mine),
                **asdict(summarize(mine, now, zone)),
            }
        )
    return rows


def dashboard(
    visits: Sequence[Visit],
    names: Names,
    *,
    day: date,
    now: datetime,
    zone: tzinfo,
    until: date | None = None,
    blocks: Sequence[Block] = (),
) -> dict[str, Any]:
    """Build the dashboard: the days' totals, then one row per department and per doctor."""
    per_department = group_by(visits, lambda v: v.department_id)
    blocks_of_department = group_by(blocks, lambda b: b.department_id)
    blocks_of_doctor = group_by(blocks, lambda b: b.doctor_id)
    # Tickets of a shared queue have no doctor until one calls them: one such row per department.
    per_doctor = group_by(visits, lambda v: (v.doctor_id, v.department_id))

    def doctor_name(key: tuple[int | None, int]) -> str:
        return UNASSIGNED if key[0] is None else names.doctors.get(key[0], f"#{key[0]}")

    def department_name(department_id: int) -> str:
        return names.departments.get(department_id, f"#{department_id}")

    def mine(key: tuple[int | None, int]) -> list[Block]:
        # The shared queue's row has no sessions of its own.
        return [] if key[0] is None else blocks_of_doctor.get(key[0], [])

    return {
        "day": day.isoformat(),
        "from": day.isoformat(),
        "to": (until or day).isoformat(),
        "generated_at": now.isoformat(),
        "totals": asdict(summarize(visits, now, zone, blocks)),
        "departments": [
            {
                "id": d,
                "name": name,
                **asdict(
                    summarize(per_department.get(d, []), now, zone, blocks_of_department.get(d, []))
                ),
            }
            for d, name in sorted(names.departments.items(), key=lambda item: item[1])
        ],
        "doctors": [
            {
                "id": key[0],
                "name": doctor_name(key),
                "department_id": key[1],
                "department": department_name(key[1]),
                **asdict(summarize(per_doctor[key], now, zone, mine(key))),
            }
            for key in sorted(
                per_doctor, key=lambda k: (department_name(k[1]), k[0] is None, doctor_name(k))
            )
        ],
        "categories": by_category(visits, names, now, zone),
    }


# One row per appointment of the day: only the columns the figures need, no ORM objects.
VISIT_COLUMNS = (
    Ticket.queue_department_id,
    Ticket.doctor_id,
    Appointment.status,
    Appointment.source,
    Appointment.urgency,
    Appointment.overbooked,
    Appointment.no_show_probability,
    Slot.ends_at,
    Appointment.checked_in_at,
    Appointment.called_at,
    Appointment.started_at,
    Appointment.completed_at,
    Appointment.transferred_at,
    Appointment.day,
    Appointment.priority_category_id,
)


async def load_dashboard(
    db: AsyncSession,
    day: date,
    department_id: int | None,
    now: datetime,
    zone: tzinfo,
    until: date | None = None,
) -> dict[str, Any]:
    """Read the visits of `day` to `until` (of one department, or all) and build the dashboard."""
    last = until or day
    departments = select(Department.id, Department.name)
    visits = (
        select(*VISIT_COLUMNS)
        .join(Ticket, Ticket.appointment_id == Appointment.id)
        .outerjoin(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.day >= day, Appointment.day <= last)
    )
    sessions = (
        select(
            DoctorSession.doctor_id,
            Doctor.department_id,
            DoctorSession.day,
            DoctorSession.starts_at,
            DoctorSession.ends_at,
            DoctorSession.closed_early_at,
        )
        .join(Doctor, Doctor.id == DoctorSession.doctor_id)
        .where(DoctorSession.day >= day, DoctorSession.day <= last)
    )
    if department_id is not None:
        departments = departments.where(Department.id == department_id)
        # The queue a ticket is in now: a transferred patient counts where they are seen.
        visits = visits.where(Ticket.queue_department_id == department_id)
        sessions = sessions.where(Doctor.department_id == department_id)
    department_names = dict((await db.execute(departments)).tuples().all())
    if department_id is not None and not department_names:
        raise not_found("department", department_id)
    rows = [Visit(*row) for row in (await db.execute(visits)).tuples()]
    doctor_ids = {v.doctor_id for v in rows if v.doctor_id is not None}
    doctor_names = dict(
        (await db.execute(select(Doctor.id, Doctor.name).where(Doctor.id.in_(doctor_ids))))
        .tuples()
        .all()
    )
    categories = {
        category_id: (name, max_wait)
        for category_id, name, max_wait in (
            await db.execute(
                select(PriorityCategory.id, PriorityCategory.name, PriorityCategory.max_wait_min)
            )
        ).tuples()
    }
    blocks = [
        # A doctor who left early worked until then.
        Block(doctor, department, on, starts, min(ends, closed) if closed else ends)
        for doctor, department, on, starts, ends, closed in (await db.execute(sessions))
    ]
    return dashboard(
        rows,
        Names(department_names, doctor_names, categories),
        day=day,
        now=now,
        zone=zone,
        until=last,
        blocks=blocks,
    )


CSV_COLUMNS = (
    "scope",
    "id",
    "name",
    "department",
    "tickets",
    "seen",
    "walk_ins",
    "online",
    "emergencies",
    "overbooked",
    "wait_median_min",
    "wait_p90_min",
    "consultation_median_min",
    "consultation_p90_min",
    "no_show_rate",
    "no_show_predicted",
    "utilisation",
    "session_min",
    "consulted_min",
    "idle_min",
    "overtime_mean_min",
    "overtime_p90_min",
)


def _csv_row(scope: str, row: dict[str, Any]) -> list[Any]:
    capacity_ = row["capacity"]
    return [
        scope,
        row.get("id", ""),
        row.get("name", "all"),
        row.get("department", ""),
        row["tickets"],
        row["by_status"]["completed"],
        row["walk_ins"],
        row["online"],
        row["emergencies"],
        row["overbooked"],
        row["wait_min"]["median"],
        row["wait_min"]["p90"],
        row["consultation_min"]["median"],
        row["consultation_min"]["p90"],
        row["no_shows"]["rate"],
        row["no_shows"]["predicted"],
        capacity_["utilisation"],
        capacity_["session_min"],
        capacity_["consulted_min"],
        capacity_["idle_min"],
        capacity_["overtime_mean_min"],
        capacity_["overtime_p90_min"],
    ]


def to_csv(board: dict[str, Any]) -> str:
    """Render a dashboard as CSV: the totals, then a row per department and per doctor."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerow(_csv_row("total", board["totals"]))
    for row in board["departments"]:
        writer.writerow(_csv_row("department", row))
    for row in board["doctors"]:
        writer.writerow(_csv_row("doctor", row))
    for row in board.get("categories", []):
        writer.writerow(_csv_row("priority_category", row))
    return out.getvalue()


def days_between(first: date, last: date) -> int:
    """Count the days of a range, both ends included."""
    return (last - first) // timedelta(days=1) + 1
