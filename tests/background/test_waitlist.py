"""Which changes free a place for the waitlist."""

from __future__ import annotations

from server.background.waitlist import FREES_PLACE, KEEPS_PLACES
from server.events import EventKind


def test_every_event_kind_is_placed_on_one_side() -> None:
    assert frozenset(EventKind) == FREES_PLACE | KEEPS_PLACES
    assert not FREES_PLACE & KEEPS_PLACES
    assert {EventKind.CANCELLED, EventKind.RESCHEDULED} <= FREES_PLACE
