"""Whether this server reaches the other servers through Redis, and who to tell when it changes.

While the link is down the server numbers rooms itself (a fresh epoch), delivers updates to its
own screens only and tells them they are "degraded"; once Redis answers again and the pub/sub
listener is back, it tells them they are live and pushes every room a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

PROBE_S = 0.25  # how often a server that lost Redis checks whether it is back
PROBE_TIMEOUT_S = 1.0
LIVE = "live"
DEGRADED = "degraded"

Watcher = Callable[[bool], Awaitable[None]]
Probe = Callable[[], Awaitable[Any]]


class Link:
    """The state of cross-server fan-out: up, or down since a moment and for a reason."""

    def __init__(self, probe: Probe | None = None) -> None:
        self.up = True
        self.outages = 0  # numbers each outage, so each gets its own local epoch
        self.since: datetime | None = None
        self.probe = probe
        self.listening = True  # the pub/sub listener is subscribed
        self._watchers: list[Watcher] = []
        self._recovery: asyncio.Task[None] | None = None
        self._notices: asyncio.Task[None] | None = None
        self._queued: list[bool] = []

    def watch(self, watcher: Watcher) -> None:
        """Call `watcher(up)` after every change, in order."""
        self._watchers.append(watcher)

    def status(self) -> dict[str, Any]:
        """Describe the state as screens get it (the `status` event, and `hello`)."""
        if self.up:
            return {"state": LIVE}
        return {
            "state": DEGRADED,
            "code": "FANOUT_DOWN",
            "message": "updates from other servers are paused; this screen refreshes itself "
            "when they are back",
            "since": self.since.isoformat() if self.since else None,
        }

    def failed(self, reason: str) -> None:
        """Note that Redis failed us; on the first failure go down and start probing."""
        if not self.up:
            return
        self.up = False
        self.outages += 1
        self.since = datetime.now(UTC)
        log.warning("cross-server fan-out is down (%s): serving this server's screens only", reason)
        self._notify(False)
        if self.probe is not None:
            self._recovery = asyncio.get_running_loop().create_task(self._recover())

    def subscribed(self, yes: bool, reason: str = "pub/sub listener lost Redis") -> None:
        """Note whether the pub/sub listener is subscribed; losing it takes the link down."""
        self.listening = yes
        if not yes:
            self.failed(reason)

    async def _recover(self) -> None:
        if self.probe is None:
            raise RuntimeError("recovery needs a probe")
        while not self.up:
            await asyncio.sleep(PROBE_S)
            if not self.listening:
                continue  # updates from other servers cannot reach us yet
            try:
                await asyncio.wait_for(self.probe(), PROBE_TIMEOUT_S)
            except Exception:
                continue
            self.up, self.since = True, None
            log.warning("cross-server fan-out is back after outage %d", self.outages)
            self._notify(True)

    def _notify(self, up: bool) -> None:
        # Changes are told in the order they happened, each after the previous one finished.
        self._queued.append(up)
        if self._notices is None or self._notices.done():
            self._notices = asyncio.get_running_loop().create_task(self._tell())

    async def _tell(self) -> None:
        while self._queued:
            up = self._queued.pop(0)
            for watcher in self._watchers:
                try:
                    await watcher(up)
                except Exception:
                    log.exception("telling %r that the link is %s failed", watcher, up)

    async def settled(self) -> None:
        """Wait until every change so far has been told (for tests and shutdown)."""
        while self._notices is not None and not self._notices.done():
            await self._notices

    async def close(self) -> None:
        """Stop probing."""
        if self._recovery is not None:
            self._recovery.cancel()
