"""Event kinds: one for each step of the state machine, and none the project does not know."""

from __future__ import annotations

import json

import pytest

from server.events import KIND_OF, EventKind, QueueEvent
from server.queue.state import TicketEvent


def event(kind: str) -> QueueEvent:
    return QueueEvent(
        kind=kind,  # type: ignore[arg-type]  # what an untyped caller may pass
        department_id=1,
        day="2026-11-30",
        ticket_id=1,
        token="A-001",
        status="waiting",
        urgency="routine",
    )


def test_every_step_of_the_state_machine_publishes_a_kind_of_its_own() -> None:
    assert set(KIND_OF) == set(TicketEvent)
    assert len(set(KIND_OF.values())) == len(KIND_OF)


def test_an_event_of_an_unknown_kind_is_refused_when_it_is_made() -> None:
    with pytest.raises(ValueError, match="calld"):
        event("calld")


def test_screens_receive_the_kind_as_the_string_they_always_did() -> None:
    made = event("called")
    assert made.kind is EventKind.CALLED
    assert json.loads(json.dumps(made.to_dict()))["kind"] == "called"
