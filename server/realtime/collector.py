"""Garbage-collector settings for a process that holds thousands of sockets."""

from __future__ import annotations

import gc

# Every broadcast leaves thousands of tasks and timers behind; with the default (700, 10, 10)
# that meant a full collection every second or two, and with 5,000 sockets a full collection
# walks millions of objects: 1.6 s on a busy 2-core machine, during which no update goes out.
# These make young collections rarer and full ones very rare; garbage is still collected.
THRESHOLDS = (50_000, 50, 100)


def tune_collector() -> None:
    """Make the cyclic garbage collector run rarely (process-wide)."""
    gc.set_threshold(*THRESHOLDS)
