"""Turn weekly templates into the sessions to create: dates x templates - closures - leave."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Template:
    """A doctor's weekly session in local clinic time, valid from one day to another."""

    id: int
    doctor_id: int
    weekday: int  # Monday 0 … Sunday 6
    start: time
    end: time
    valid_from: date
    valid_to: date | None = None
    slot_minutes: int = 15
    capacity_per_slot: int = 1
    overbook_cap: int = 1
    room_id: int | None = None

    def runs_on(self, day: date) -> bool:
        """Tell whether the template calls for a session on `day`."""
        return (
            day.weekday() == self.weekday
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class Away:
    """Days without sessions: the whole clinic's (`doctor_id` None) or one doctor's."""

    starts_on: date
    ends_on: date
    doctor_id: int | None = None

    def covers(self, doctor_id: int, day: date) -> bool:
        """Tell whether this closure or leave keeps `doctor_id` away on `day`."""
        mine = self.doctor_id is None or self.doctor_id == doctor_id
        return mine and self.starts_on <= day <= self.ends_on


@dataclass(frozen=True, slots=True)
class Planned:
    """One session a template calls for, in UTC, with its local day."""

    template: Template
    day: date  # the local clinic day
    starts_at: datetime
    ends_at: datetime

    @property
    def doctor_id(self) -> int:
        """Return the session's doctor."""
        return self.template.doctor_id


@dataclass(frozen=True, slots=True)
class Existing:
    """A session already in the database: the generator never overlaps one."""

    doctor_id: int
    starts_at: datetime
    ends_at: datetime
    slot_minutes: int | None = None


def at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """Return local `day` at wall-clock `moment` in `zone`, as aware UTC.

    A wall-clock time that a daylight-saving change skips (02:30 on a spring-forward night)
    is read with the offset in force before the change, as zoneinfo does (fold 0).
    """
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def days(first: date, last: date) -> Iterator[date]:
    """Yield every day from `first` to `last`, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def session_of(template: Template, day: date, zone: ZoneInfo) -> Planned:
    """Return the session `template` makes on local `day`."""
    return Planned(template, day, at(day, template.start, zone), at(day, template.end, zone))


def plan(
    templates: Iterable[Template],
    first: date,
    last: date,
    zone: ZoneInfo,
    *,
    away: Sequence[Away] = (),
    existing: Iterable[Existing] = (),
    not_before: datetime | None = None,
) -> list[Planned]:
    """Return the sessions to create from `first` to `last` (local days), in time order.

    A day under a closure or the doctor's leave gets none; a session overlapping one that
    exists (a second run, or a session opened by hand) or an earlier planned one of the same
    doctor is left out, so running this twice creates nothing twice. With `not_before`, a
    session starting before it (later today, already begun) is left out too.
    """
    taken: dict[int, list[tuple[datetime, datetime]]] = {}
    for row in existing:
        taken.setdefault(row.doctor_id, []).append((row.starts_at, row.ends_at))
    ordered = sorted(templates, key=lambda t: (t.doctor_id, t.weekday, t.start, t.id))
    out: list[Planned] = []
    for day in days(first, last):
        for template in ordered:
            if not template.runs_on(day):
                continue
            if any(a.covers(template.doctor_id, day) for a in away):
                continue
            session = session_of(template, day, zone)
            if not_before is not None and session.starts_at < not_before:
                continue
            busy = taken.setdefault(template.doctor_id, [])
            if any(s < session.ends_at and session.starts_at < e for s, e in busy):
                continue
            busy.append((session.starts_at, session.ends_at))
            out.append(session)
    return sorted(out, key=lambda p: (p.starts_at, p.doctor_id))


def overlapping(a: Template, b: Template) -> bool:
    """Tell whether two templates of one doctor could make overlapping sessions."""
    if a.doctor_id != b.doctor_id or a.weekday != b.weekday:
        return False
    if not (a.start < b.end and b.start < a.end):
        return False
    a_end = a.valid_to or date.max
    b_end = b.valid_to or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def still_planned(template: Template | None, day: date, zone: ZoneInfo, existing: Existing) -> bool:
    """Tell whether an existing session of a template would be made the same by `template`.

    A session is left alone when the (edited) template still makes it at the same times with
    the same slot length; otherwise it is one of the sessions the edit affects.
    """
    if template is None or not template.runs_on(day):
        return False
    wanted = session_of(template, day, zone)
    same_slots = existing.slot_minutes in (None, template.slot_minutes)
    return same_slots and (wanted.starts_at, wanted.ends_at) == (
        existing.starts_at,
        existing.ends_at,
    )
