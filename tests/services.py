"""Where the suite finds its real services, so parallel runs on one machine stay apart."""

from __future__ import annotations

import os

# A run beside another sets TEST_REDIS_URL to its own server (a spare port); database numbers
# below keep this suite's modules apart within it.
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


def redis_url(database: int) -> str:
    """Return the URL of Redis database `database` on the suite's Redis server."""
    return f"{REDIS_BASE}/{database}"
