"""Token numbers: per department per day, from 1, shown like G-014."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"^(?P<prefix>[A-Z]{1,3})-(?P<number>\d{3,})$")
_PREFIX = re.compile(r"^[A-Z]{1,3}$")


def format_token(prefix: str, number: int) -> str:
    """Format a token; three digits at least so that boards line up."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"token prefix must be 1 to 3 capital letters, not {prefix!r}")
    if number < 1:
        raise ValueError(f"token numbers start at 1, not {number}")
    return f"{prefix}-{number:03d}"


def parse_token(token: str) -> tuple[str, int]:
    """Split a token typed at the desk into prefix and number."""
    match = _TOKEN.match(token.strip().upper())
    if match is None:
        raise ValueError(f"{token!r} is not a token like G-014")
    return match["prefix"], int(match["number"])


def is_valid_prefix(prefix: str) -> bool:
    """Tell whether `prefix` can start a token."""
    return bool(_PREFIX.match(prefix))
