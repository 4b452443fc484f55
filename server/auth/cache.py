"""A short-lived memory of who a bearer token belongs to, to spare a query per API call."""

from __future__ import annotations

import time
from collections import OrderedDict

from server.auth.actor import Actor

TTL_S = 30.0  # a revoked token or deactivated user stops working within this time


class ActorCache:
    """Remember token -> Actor for a few seconds; bounded, oldest forgotten first."""

    def __init__(self, ttl_s: float = TTL_S, size: int = 10_000) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._entries: OrderedDict[str, tuple[float, Actor]] = OrderedDict()

    def get(self, token: str) -> Actor | None:
        """Return the remembered actor, if still fresh."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[token]
            return None
        return entry[1]

    def put(self, token: str, actor: Actor) -> None:
        """Remember an actor for TTL seconds."""
        self._entries[token] = (time.monotonic() + self.ttl_s, actor)
        self._entries.move_to_end(token)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (after revoking tokens or changing roles)."""
        self._entries.clear()
