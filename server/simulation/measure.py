"""Turn a run into figures: the shared outcome metrics plus what patients were shown."""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from server.models import Source
from server.queries.outcome import Block, Stint, minutes, percentile, summary
from server.queue.order import Urgency
from server.simulation.engine import RunResult, Shown

T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306}


def stints(result: RunResult) -> list[Stint]:
    """Describe the run's tickets for the outcome metrics."""
    found = []
    for v in result.visits:
        kind = (
            "emergency"
            if v["urgency"] is Urgency.EMERGENCY
            else "walk_in"
            if v["source"] is Source.WALK_IN
            else "booked"
        )
        found.append(
            Stint(
                ticket_id=v["id"],
                department_id=v["queue_department_id"],
                doctor_id=v["doctor_id"],
                day=v["day"],
                kind=kind,
                status=v["status"].value,
                slot_id=v["slot_id"],
                overbooked=v["overbooked"],
                scheduled_at=v["scheduled_at"],
                arrived_at=v["checked_in_at"],
                called_at=v["called_at"],
                started_at=v["started_at"],
                completed_at=v["completed_at"],
            )
        )
    return found


def blocks(result: RunResult) -> list[Block]:
    """Describe the run's sessions."""
    return [
        Block(s["doctor_id"], s["department_id"], s["day"], s["starts_at"], s["ends_at"])
        for s in result.sessions
    ]


def patient_view(
    shown: Sequence[Shown], rows: Sequence[Stint], emergencies: Sequence[tuple[int, datetime]]
) -> dict[str, Any]:
    """Compare what each waiting patient was shown with what then happened."""
    by_id = {s.ticket_id: s for s in rows}
    calls: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for s in rows:
        if s.called_at is not None and s.doctor_id is not None:
            calls[s.doctor_id].append((s.called_at, s.ticket_id))
    for c in calls.values():
        c.sort()
    errors: list[float] = []
    next_total = next_true = 0
    for seen in shown:
        mine = by_id.get(seen.ticket_id)
        if mine is None or mine.called_at is None:
            continue
        if seen.wait_min is not None:
            errors.append(abs(minutes(seen.at, mine.called_at) - seen.wait_min))
        if seen.position == 1:
            next_total += 1
            line = calls.get(seen.doctor_id or -1, [])
            i = bisect.bisect_right(line, (seen.at, math.inf))
            next_true += bool(i < len(line) and line[i][1] == seen.ticket_id)
    rose = 0
    arrivals: dict[int, list[datetime]] = defaultdict(list)
    for department, moment in emergencies:
        arrivals[department].append(moment)
    for times in arrivals.values():
        times.sort()
    previous: dict[int, Shown] = {}
    for seen in sorted(shown, key=lambda s: (s.ticket_id, s.at)):
        before = previous.get(seen.ticket_id)
        previous[seen.ticket_id] = seen
        mine = by_id.get(seen.ticket_id)
        if before is None or mine is None or before.position is None or seen.position is None:
            continue
        if seen.position > before.position:
            came = arrivals.get(mine.department_id, [])
            between = bisect.bisect_right(came, seen.at) - bisect.bisect_right(came, before.at)
            rose += between == 0
    return {
        "eta_error_p50_min": None if not errors else round(percentile(errors, 0.5) or 0, 1),
        "eta_error_p90_min": None if not errors else round(percentile(errors, 0.9) or 0, 1),
        "next_true_share": round(next_true / next_total, 3) if next_total else None,
        "next_shown": next_total,
        "positions_rose_without_emergency": rose,
        "observations": len(shown),
    }


def measure(result: RunResult) -> dict[str, Any]:
    """Return every figure of one run (a policy and a replication over all its days)."""
    rows = stints(result)
    figures: dict[str, Any] = dict(summary(rows, blocks(result)))
    figures.update(patient_view(result.shown, rows, result.emergencies))
    figures.update(
        requests=result.requests, refused=result.refused, jobs=result.jobs, wall_s=result.wall_s
    )
    return figures


def mean_ci(values: Sequence[float | None]) -> tuple[float | None, list[float] | None]:
    """Return the mean and the 95 % t-interval over replications (None if too few)."""
    data = [float(v) for v in values if v is not None]
    if not data:
        return None, None
    mean = sum(data) / len(data)
    if len(data) < 2:
        return mean, None
    sd = math.sqrt(sum((x - mean) ** 2 for x in data) / (len(data) - 1))
    half = T_975.get(len(data) - 1, 1.96) * sd / math.sqrt(len(data))
    return mean, [mean - half, mean + half]
