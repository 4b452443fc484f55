"""The ticket's life as a pure state machine."""

from __future__ import annotations

from enum import StrEnum

from server.errors import Conflict


class TicketStatus(StrEnum):
    """Where a ticket stands in its life."""

    BOOKED = "booked"  # an online booking; the patient has not arrived yet
    WAITING = "waiting"  # in a queue, in the waiting room
    CALLED = "called"  # called to a room, on its way
    IN_CONSULTATION = "in_consultation"  # with the doctor
    COMPLETED = "completed"  # seen; final
    NO_SHOW = "no_show"  # never came, or did not answer the calls
    SKIPPED = "skipped"  # did not answer a call; may be requeued
    CANCELLED = "cancelled"  # withdrawn by the patient or the desk; final


class TicketEvent(StrEnum):
    """What can happen to a ticket."""

    CHECK_IN = "check_in"
    CALL = "call"
    RECALL = "recall"
    START = "start"
    COMPLETE = "complete"
    SKIP = "skip"
    NO_SHOW = "no_show"
    REQUEUE = "requeue"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    ESCALATE = "escalate"  # raised to emergency while it waits
    RESCHEDULE = "reschedule"  # a booking moves to another slot before the patient arrives


class InvalidTransition(Conflict):
    """The state machine does not allow this event in this status (INVALID_TRANSITION)."""

    def __init__(self, status: TicketStatus, event: TicketEvent) -> None:
        super().__init__(
            "INVALID_TRANSITION",
            f"cannot {event.value} a ticket that is {status.value}",
            {"status": status.value, "event": event.value},
        )
        self.status = status
        self.event = event


S, E = TicketStatus, TicketEvent

TRANSITIONS: dict[tuple[TicketStatus, TicketEvent], TicketStatus] = {
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

ACTIVE = frozenset({S.WAITING, S.CALLED, S.IN_CONSULTATION})
FINAL = frozenset({S.COMPLETED, S.CANCELLED})


def transition(status: TicketStatus, event: TicketEvent) -> TicketStatus:
    """Return the status after `event`, or raise InvalidTransition."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition(status, event) from None


def allowed_events(status: TicketStatus) -> list[TicketEvent]:
    """List the events a ticket in `status` accepts, for buttons and docs."""
    return [event for (source, event) in TRANSITIONS if source == status]
