"""Where a page may send a user after login: a path on this site, nothing else."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000
# Browsers drop tabs and newlines inside URLs and read "\" as "/": "/\t/x" and "/\x" are
# other sites. Refuse every control character, whitespace and backslash outright.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(value: str | None) -> str | None:
    """Return `value` if it is a same-origin path ("/desk?x=1"), otherwise None."""
    if not value or len(value) > MAX_LENGTH:
        return None
    # Encoded forms ("/%5Cevil", "/%2F%2Fevil") are checked as a later decoding would see them.
    decoded = value
    for _ in range(3):
        if _UNSAFE.search(decoded) or not decoded.startswith("/") or decoded.startswith("//"):
            return None
        parts = urlsplit(decoded)
        if parts.scheme or parts.netloc:
            return None
        decoded = unquote(decoded)
    return value
