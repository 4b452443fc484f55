"""Outcome figures shared by the simulator and the admin dashboard: pure functions.

Inputs are plain rows: `Stint` (one ticket's times) and `Block` (one doctor's session). The
definitions are those of `docs/simulation.md`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

KINDS = ("booked", "walk_in", "emergency")


@dataclass(frozen=True, slots=True)
class Stint:
    """One ticket of a day: who, what kind, and when each step happened (aware UTC)."""

    ticket_id: int
    department_id: int
    doctor_id: int | None
    day: date
    kind: str  # "booked", "walk_in" or "emergency"
    status: str
    slot_id: int | None = None
    overbooked: bool = False
    scheduled_at: datetime | None = None
    arrived_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """A doctor's planned session."""

    doctor_id: int
    department_id: int
    day: date
    starts_at: datetime
    ends_at: datetime


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Return the `fraction` quantile by linear interpolation between ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    # The "inclusive" method (numpy's default, Excel's PERCENTILE.INC): easy to check by hand.
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# One consultation: (doctor_id, day, started_at, completed_at).
Work = tuple[int | None, date | None, datetime | None, datetime | None]


def minutes(start: datetime, end: datetime) -> float:
    """Return the minutes from `start` to `end`."""
    return (end - start).total_seconds() / 60


def wait_min(s: Stint) -> float | None:
    """Return the wait: from the later of arrival and appointment time to the call."""
    if s.arrived_at is None or s.called_at is None:
        return None
    begin = max(s.arrived_at, s.scheduled_at) if s.scheduled_at else s.arrived_at
    return max(0.0, minutes(begin, s.called_at))


def consulted(work: Iterable[Work]) -> dict[tuple[int, date], list[tuple[datetime, datetime]]]:
    """Return each doctor-day's completed consultations as (start, end) pairs."""
    found: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)
    for doctor_id, day, started, completed in work:
        if doctor_id is not None and day is not None and started and completed:
            found[(doctor_id, day)].append((started, completed))
    return found


def work_of(stints: Iterable[Stint]) -> list[Work]:
    """Return the consultations of some tickets."""
    return [(s.doctor_id, s.day, s.started_at, s.completed_at) for s in stints]


def doctor_days(work: Iterable[Work], blocks: Sequence[Block]) -> list[dict[str, float]]:
    """Return per doctor-day: session, consulted, idle and overtime minutes.

    Consulted minutes count whole consultations, overtime included; idle minutes are the
    session's minutes without a consultation; overtime runs from the session's end to the
    doctor's last completion that day (0 if none after the end).
    """
    by_day = consulted(work)
    rows = []
    for b in blocks:
        pairs = by_day.get((b.doctor_id, b.day), [])
        session = minutes(b.starts_at, b.ends_at)
        busy = sum(minutes(s, e) for s, e in pairs)
        inside = sum(max(0.0, minutes(max(s, b.starts_at), min(e, b.ends_at))) for s, e in pairs)
        last = max((e for _, e in pairs), default=None)
        rows.append(
            {
                "session_min": session,
                "consulted_min": busy,
                "idle_min": max(0.0, session - inside),
                "overtime_min": max(0.0, minutes(b.ends_at, last)) if last else 0.0,
            }
        )
    return rows


def capacity(days: Sequence[dict[str, float]]) -> dict[str, float | int | None]:
    """Sum doctor-days into utilisation, idle minutes and overtime per doctor-day."""
    session = sum(d["session_min"] for d in days)
    overtime = [d["overtime_min"] for d in days]
    return {
        "doctor_days": len(days),
        "session_min": _r(session),
        "consulted_min": _r(sum(d["consulted_min"] for d in days)),
        "idle_min": _r(sum(d["idle_min"] for d in days)),
        "utilisation": _r(sum(d["consulted_min"] for d in days) / session, 4) if session else None,
        "overtime_mean_min": _r(sum(overtime) / len(overtime)) if overtime else None,
        "overtime_p90_min": _r(percentile(overtime, 0.9)),
    }


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def overbooked_all_came(stints: Iterable[Stint]) -> int:
    """Count overbooked slots where every booking of the slot came."""
    slots: dict[int, list[Stint]] = defaultdict(list)
    for s in stints:
        if s.slot_id is not None and s.status != "cancelled":
            slots[s.slot_id].append(s)
    return sum(
        1
        for group in slots.values()
        if any(s.overbooked for s in group) and all(s.arrived_at is not None for s in group)
    )


def summary(stints: Sequence[Stint], blocks: Sequence[Block]) -> dict[str, object]:
    """Compute the outcome figures of a set of days."""
    days = doctor_days(work_of(stints), blocks)
    session = sum(d["session_min"] for d in days)
    waits = {
        k: [w for s in stints if s.kind == k and (w := wait_min(s)) is not None] for k in KINDS
    }
    every = [w for k in KINDS for w in waits[k]]
    overtime = [d["overtime_min"] for d in days]
    came = [s for s in stints if s.arrived_at is not None]
    return {
        "utilisation": _r(sum(d["consulted_min"] for d in days) / session, 4) if session else None,
        "seen": sum(1 for s in stints if s.status == "completed"),
        "unseen": sum(1 for s in came if s.status != "completed"),
        "wait_mean_min": _r(sum(every) / len(every)) if every else None,
        "wait_p50_min": _r(percentile(every, 0.5)),
        "wait_p90_min": _r(percentile(every, 0.9)),
        "wait_by_kind": {
            k: {
                "count": len(v),
                "mean": _r(sum(v) / len(v)) if v else None,
                "p50": _r(percentile(v, 0.5)),
                "p90": _r(percentile(v, 0.9)),
            }
            for k, v in waits.items()
        },
        "overtime_mean_min": _r(sum(overtime) / len(overtime)) if overtime else None,
        "overtime_p90_min": _r(percentile(overtime, 0.9)),
        "idle_min": _r(sum(d["idle_min"] for d in days)),
        "emergency_p95_min": _r(percentile(waits["emergency"], 0.95)),
        "overbooked_all_came": overbooked_all_came(stints),
        "doctor_days": len(days),
    }
