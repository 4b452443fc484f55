"""What each audience may see, cut from the staff snapshot by allow-lists (never deny-lists)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

NEXT_ON_BOARD = 12
SERVING = ("called", "in_consultation")
# Fields of a ticket a patient's phone shows: their own ticket, nothing about anyone else.
PATIENT_FIELDS = (
    "ticket_id",
    "token",
    "status",
    "urgency",
    "room",
    "ahead",
    "position",
    "wait_min",
    "eta",
    "moved_reason",
    "called_at",
    "call_count",
)
# Fields of an event a board or phone may receive: what happened to which token, where.
EVENT_FIELDS = ("kind", "token", "status", "urgency", "room", "at", "department_id", "ticket_id")


def _pick(source: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {name: source.get(name) for name in fields}


def department_header(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """Return the department block of a snapshot (id, code, name, token prefix)."""
    return _pick(snapshot["department"], ("id", "code", "name", "prefix"))


def board_view(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """Cut a department snapshot down to what a TV board shows: tokens and rooms, no people."""
    tickets = snapshot["tickets"]
    serving = [
        _pick(t, ("token", "status", "room", "urgency", "priority", "called_at", "call_count"))
        for t in tickets
        if t["status"] in SERVING
    ]
    waiting = [t for t in tickets if t["status"] == "waiting"]
    upcoming = [
        _pick(t, ("token", "urgency", "priority", "ahead", "position", "wait_min"))
        for t in waiting[:NEXT_ON_BOARD]
    ]
    return {
        "department": department_header(snapshot),
        "day": snapshot["day"],
        "generated_at": snapshot["generated_at"],
        "serving": serving,
        "next": upcoming,
        "waiting": len(waiting),
    }


def patient_view(snapshot: Mapping[str, Any], ticket: Mapping[str, Any]) -> dict[str, Any]:
    """Return one patient's ticket with its department, as their phone shows it."""
    return {
        "ticket": _pick(ticket, PATIENT_FIELDS),
        "department": department_header(snapshot),
        "day": snapshot["day"],
        "generated_at": snapshot["generated_at"],
    }


def public_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Cut queue events to what boards and phones may know."""
    return [_pick(event, EVENT_FIELDS) for event in events]
