"""Self check-in rules: the window around an appointment and the board's rotating code.

The code is derived, not stored: an HMAC of the server secret, the department and the number
of the current period, so every server process shows and accepts the same code without
sharing any state. The code of the period before is still accepted (a patient who read it
just before it changed).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class CheckinRules:
    """The clinic's self check-in settings."""

    early_min: int = 30
    late_min: int = 15
    period_s: int = 300
    digits: int = 4


class Arrival(StrEnum):
    """Where a check-in falls against the appointment's window."""

    EARLY = "early"  # before the window opens: refused, with the time it opens
    ON_TIME = "on_time"
    LATE = "late"  # after the window: checked in as late, fitted in from arrival


def window(scheduled_at: datetime, rules: CheckinRules) -> tuple[datetime, datetime]:
    """Return when "I'm here" opens and when a check-in starts to count as late."""
    return (
        scheduled_at - timedelta(minutes=rules.early_min),
        scheduled_at + timedelta(minutes=rules.late_min),
    )


def arrival(scheduled_at: datetime | None, now: datetime, rules: CheckinRules) -> Arrival:
    """Tell whether a check-in at `now` is early, on time or late (no appointment: on time)."""
    if scheduled_at is None:
        return Arrival.ON_TIME
    opens, late_from = window(scheduled_at, rules)
    if now < opens:
        return Arrival.EARLY
    return Arrival.LATE if now > late_from else Arrival.ON_TIME


def minutes_late(scheduled_at: datetime | None, now: datetime) -> int:
    """Return whole minutes past the appointment time (0 when not past it)."""
    if scheduled_at is None:
        return 0
    return max(0, int((now - scheduled_at).total_seconds() // 60))


def period_of(now: datetime, period_s: int) -> int:
    """Return the number of the code period `now` falls in."""
    return int(now.timestamp()) // period_s


def code_for(secret: str, department_id: int, period: int, digits: int) -> str:
    """Return the department's code for one period: `digits` decimal digits."""
    message = f"checkin-code:{department_id}:{period}".encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return str(int.from_bytes(mac[:8], "big") % 10**digits).zfill(digits)


def current_code(
    secret: str, department_id: int, now: datetime, rules: CheckinRules
) -> tuple[str, datetime]:
    """Return the code the board shows now and when it changes."""
    period = period_of(now, rules.period_s)
    changes = datetime.fromtimestamp((period + 1) * rules.period_s, tz=UTC)
    return code_for(secret, department_id, period, rules.digits), changes


def code_accepted(
    secret: str, department_id: int, code: str, now: datetime, rules: CheckinRules
) -> bool:
    """Tell whether `code` is the department's code of this period or the one before."""
    period = period_of(now, rules.period_s)
    ok = False
    for p in (period, period - 1):
        # Both compared, in constant time: the answer's timing tells nothing about which.
        ok |= hmac.compare_digest(
            code.encode(), code_for(secret, department_id, p, rules.digits).encode()
        )
    return ok
