"""Field types every request schema shares: ids, days, text without hidden characters."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

# Ids are positive and fit a signed 64-bit integer: SQLite and MariaDB both overflow beyond.
MAX_ID = 2**63 - 1
# Days outside these years are typos; `day + 1` must still be a date, and MariaDB's DATE holds it.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)

# Directional overrides and isolates reorder what a reader sees (a name that reads backwards).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
TEXT_WHITESPACE = frozenset("\t\n\r")


def hidden_characters(value: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Return the control (C0, DEL, C1) and bidi-control characters in `value`, as U+XXXX."""
    found = {
        ch
        for ch in value
        if ch not in allowed and (unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS)
    }
    return sorted(f"U+{ord(ch):04X}" for ch in found)


def _line(value: str) -> str:
    if bad := hidden_characters(value):
        raise ValueError(f"control or bidi characters are not allowed: {', '.join(bad)}")
    return value


def _text(value: str) -> str:
    if bad := hidden_characters(value, TEXT_WHITESPACE):
        raise ValueError(f"control or bidi characters are not allowed: {', '.join(bad)}")
    return value


def _iso_only(value: Any) -> Any:
    # Lax pydantic reads a number as seconds since 1970: `0` would be a date of birth.
    if not isinstance(value, str | date):
        raise ValueError("give an ISO date or time as a string")
    return value


def _day_in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must lie between {FIRST_DAY} and {LAST_DAY}")
    return value


def _moment_in_range(value: datetime) -> datetime:
    _day_in_range(value.date())
    return value


# An id of a row: a JSON integer (not `true`, not "7"), 1 to 2^63-1.
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
# One line of text (names, labels): no control or bidi characters.
Line = Annotated[str, AfterValidator(_line)]
# Free text (reasons, notes): tab and newlines allowed, other controls not.
Text = Annotated[str, AfterValidator(_text)]
# A calendar day in ISO form, within the years a clinic can mean.
Day = Annotated[date, BeforeValidator(_iso_only), AfterValidator(_day_in_range)]
# A moment in ISO form, within the same years (offsets are handled by the schema using it).
Moment = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_moment_in_range)]
