"""The ticket's life: properties the state machine must keep, whatever its table says."""

from __future__ import annotations

import itertools

import pytest

from server.queue.state import (
    ACTIVE,
    FINAL,
    TRANSITIONS,
    InvalidTransition,
    TicketEvent,
    TicketStatus,
    allowed_events,
    transition,
)

S, E = TicketStatus, TicketEvent
# Where tickets are born: an online booking, or a walk-in or emergency at the desk.
STARTS = {S.BOOKED, S.WAITING}


def reachable(starts: set[TicketStatus]) -> set[TicketStatus]:
    """Return every status some sequence of events leads to from `starts`."""
    seen, todo = set(starts), list(starts)
    while todo:
        status = todo.pop()
        for event in allowed_events(status):
            after = transition(status, event)
            if after not in seen:
                seen.add(after)
                todo.append(after)
    return seen


def test_every_status_is_reachable_from_where_tickets_start() -> None:
    assert reachable(STARTS) == set(S)


@pytest.mark.parametrize("status", sorted(FINAL))
def test_final_statuses_have_no_way_out(status: S) -> None:
    assert allowed_events(status) == []


@pytest.mark.parametrize("status", sorted(set(S) - FINAL))
def test_every_other_status_can_still_end(status: S) -> None:
    assert allowed_events(status) != []
    assert reachable({status}) & FINAL


@pytest.mark.parametrize("status", sorted(STARTS | ACTIVE))
def test_a_patient_in_the_building_or_booked_can_still_be_seen(status: S) -> None:
    assert S.COMPLETED in reachable({status})


def test_only_a_consultation_completes_and_only_a_call_starts_one() -> None:
    def into(status: S) -> set[tuple[S, E]]:
        return {pair for pair, after in TRANSITIONS.items() if after is status}

    assert into(S.COMPLETED) == {(S.IN_CONSULTATION, E.COMPLETE)}
    assert into(S.IN_CONSULTATION) == {(S.CALLED, E.START)}


def test_a_patient_with_the_doctor_cannot_be_cancelled_or_marked_absent() -> None:
    assert not {E.CANCEL, E.NO_SHOW, E.SKIP} & set(allowed_events(S.IN_CONSULTATION))


def test_every_event_is_used() -> None:
    assert {event for _status, event in TRANSITIONS} == set(E)


def test_every_live_status_is_active_and_nothing_else() -> None:
    # ACTIVE is what the one-live-ticket rule counts: in a queue, called, or with the doctor.
    assert {S.WAITING, S.CALLED, S.IN_CONSULTATION} == ACTIVE
    assert not ACTIVE & FINAL


@pytest.mark.parametrize(("status", "event"), list(TRANSITIONS))
def test_an_allowed_event_is_offered_and_lands_in_the_table(status: S, event: E) -> None:
    assert event in allowed_events(status)
    assert transition(status, event) is TRANSITIONS[(status, event)]


@pytest.mark.parametrize(
    ("status", "event"), [p for p in itertools.product(S, E) if p not in TRANSITIONS]
)
def test_refused_transition_raises_and_names_both(status: S, event: E) -> None:
    assert event not in allowed_events(status)
    with pytest.raises(InvalidTransition) as caught:
        transition(status, event)
    assert caught.value.status is status and caught.value.event is event
    assert event.value in str(caught.value) and status.value in str(caught.value)


def test_a_called_patient_can_be_started_recalled_or_let_go() -> None:
    assert set(allowed_events(S.CALLED)) == {
        E.RECALL,
        E.START,
        E.SKIP,
        E.NO_SHOW,
        E.REQUEUE,
        E.TRANSFER,
    }
