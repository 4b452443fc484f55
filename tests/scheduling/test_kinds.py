"""Each scheduling consumer of queue events says what it does with every kind."""

from __future__ import annotations

import pytest

from server.events import EventKind
from server.scheduling import allocation, triggers, versions


@pytest.mark.parametrize(
    ("does", "does_not"),
    [
        (triggers.TRIGGERS, triggers.NOT_TRIGGERS),
        (versions.CHANGED_LINE, versions.UNCHANGED_LINE),
        (allocation.REALLOCATE, allocation.KEEP_ALLOCATION),
    ],
    ids=["resequence", "version", "allocation"],
)
def test_every_kind_is_placed_on_one_side(
    does: frozenset[EventKind], does_not: frozenset[EventKind]
) -> None:
    assert does.isdisjoint(does_not)
    assert does | does_not == set(EventKind)
