"""Every allowed and every refused transition of the ticket's life."""

from __future__ import annotations

import itertools

import pytest

from server.queue.state import (
    TRANSITIONS,
    InvalidTransition,
    TicketEvent,
    TicketStatus,
    allowed_events,
    transition,
)

S, E = TicketStatus, TicketEvent

EXPECTED = {
    (S.BOOKED, E.CHECK_IN): S.WAITING,
    (S.BOOKED, E.CANCEL): S.CANCELLED,
    (S.BOOKED, E.NO_SHOW): S.NO_SHOW,
    (S.BOOKED, E.RESCHEDULE): S.BOOKED,
    (S.WAITING, E.CALL): S.CALLED,
    (S.WAITING, E.TRANSFER): S.WAITING,
    (S.WAITING, E.CANCEL): S.CANCELLED,
    (S.WAITING, E.ESCALATE): S.WAITING,
    (S.CALLED, E.RECALL): S.CALLED,
    (S.CALLED, E.START): S.IN_CONSULTATION,
    (S.CALLED, E.SKIP): S.SKIPPED,
    (S.CALLED, E.NO_SHOW): S.NO_SHOW,
    (S.CALLED, E.REQUEUE): S.WAITING,
    (S.CALLED, E.TRANSFER): S.WAITING,
    (S.IN_CONSULTATION, E.COMPLETE): S.COMPLETED,
    (S.IN_CONSULTATION, E.TRANSFER): S.WAITING,
    (S.SKIPPED, E.REQUEUE): S.WAITING,
    (S.SKIPPED, E.NO_SHOW): S.NO_SHOW,
    (S.SKIPPED, E.CANCEL): S.CANCELLED,
    (S.NO_SHOW, E.REQUEUE): S.WAITING,
}
REFUSED = [pair for pair in itertools.product(S, E) if pair not in EXPECTED]


def test_the_table_is_the_one_the_design_documents() -> None:
    assert EXPECTED == TRANSITIONS


@pytest.mark.parametrize(("status", "event"), list(EXPECTED))
def test_allowed_transition_lands_where_documented(status: S, event: E) -> None:
    assert transition(status, event) is EXPECTED[(status, event)]


@pytest.mark.parametrize(("status", "event"), REFUSED)
def test_refused_transition_raises_and_names_both(status: S, event: E) -> None:
    with pytest.raises(InvalidTransition) as caught:
        transition(status, event)
    assert caught.value.status is status and caught.value.event is event
    assert event.value in str(caught.value) and status.value in str(caught.value)


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED])
def test_final_statuses_accept_nothing(status: S) -> None:
    assert allowed_events(status) == []


def test_a_called_patient_can_be_started_recalled_or_let_go() -> None:
    assert set(allowed_events(S.CALLED)) == {
        E.RECALL,
        E.START,
        E.SKIP,
        E.NO_SHOW,
        E.REQUEUE,
        E.TRANSFER,
    }
