"""Garbage-collector settings for a process that holds thousands of sockets, and churn cleanup."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# Every broadcast leaves thousands of tasks and timers behind; with the default (700, 10, 10)
# that meant a full collection every second or two, and with 5,000 sockets a full collection
# walks millions of objects: 1.6 s on a busy 2-core machine, during which no update goes out.
# These make young collections rarer and full ones very rare; garbage is still collected.
THRESHOLDS = (50_000, 50, 100)
# A closed connection leaves reference cycles behind (uvicorn's and engine.io's objects held
# by exceptions' tracebacks); they reach the oldest generation, which these thresholds almost
# never collect. So after this many closed connections a full collection runs, then the C
# allocator gives its free pages back to the OS. A full collection walks every live socket's
# objects (3 s with 3,000 sockets open on a machine at load 25, no update going out meanwhile),
# so with many sockets open it waits for closes worth a quarter of them: its cost per closed
# connection stays flat, and the garbage stays under a quarter of what live sockets hold.
CLOSES_PER_COLLECTION = 1_000
OPEN_SHARE = 0.25
DELAY_S = 0.5  # let the burst of closes finish first


def tune_collector() -> None:
    """Make the cyclic garbage collector run rarely (process-wide); freeze what start-up made."""
    gc.set_threshold(*THRESHOLDS)
    # Modules, models and settings live as long as the process: full collections skip them.
    gc.collect()
    gc.freeze()


def _trimmer() -> Callable[[], object] | None:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None  # not glibc: nothing to trim
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    return lambda: trim(0)


class ChurnCollector:
    """Count closed connections; every so many, collect all garbage and return memory."""

    def __init__(self, every: int = CLOSES_PER_COLLECTION, delay_s: float = DELAY_S) -> None:
        self.every, self.delay_s = every, delay_s
        self.open = 0
        self.closed_since = 0
        self.collections = 0
        self._pending: asyncio.TimerHandle | None = None
        self._trim = _trimmer()

    def opened(self) -> None:
        """Note one open connection (called from the WebSocket's start)."""
        self.open += 1

    def closed(self) -> None:
        """Note one closed connection (called from the WebSocket's end)."""
        self.open = max(0, self.open - 1)
        self.closed_since += 1
        due = max(self.every, int(self.open * OPEN_SHARE))
        if self.closed_since >= due and self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(self.delay_s, self.collect)

    @property
    def scheduled(self) -> bool:
        """Tell whether a collection is due and waits for the burst of closes to end."""
        return self._pending is not None

    def collect(self) -> None:
        """Run a full collection now and hand free memory back to the OS."""
        self._pending = None
        self.closed_since = 0
        started = time.perf_counter()
        found = gc.collect()
        if self._trim is not None:
            self._trim()
        self.collections += 1
        log.info(
            "collected %d objects after connection churn in %.0f ms",
            found,
            (time.perf_counter() - started) * 1000,
        )


CHURN = ChurnCollector()  # process-wide, as the collector itself is
