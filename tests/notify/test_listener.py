"""The notification listener says what it does with every kind of queue event."""

from __future__ import annotations

from server.events import EventKind
from server.notify.listener import DELAYS, DIRECT, QUEUE_SHIFTS, SESSION_ENDS, SILENT


def test_every_kind_sends_something_or_is_silent_on_purpose() -> None:
    sends = set(DIRECT) | QUEUE_SHIFTS | DELAYS | SESSION_ENDS
    assert sends | SILENT == set(EventKind)
    assert SILENT.isdisjoint(sends)
