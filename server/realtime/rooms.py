"""Namespaces, room names and the counter keys that number each room's updates."""

from __future__ import annotations

BOARD = "/board"
CONSOLE = "/console"
DESK = "/desk"
PATIENT = "/patient"
STAFF = (CONSOLE, DESK)  # both get the same named payload, numbered by one counter


def department_room(department_id: int) -> str:
    """Name the room of one department's queue."""
    return f"department:{department_id}"


def ticket_room(ticket_id: int) -> str:
    """Name the room of one patient's ticket."""
    return f"ticket:{ticket_id}"


def counter_key(namespace: str, room: str) -> str:
    """Name the counter of a room; console and desk share theirs (same payloads)."""
    audience = "staff" if namespace in STAFF else namespace.strip("/")
    return f"{audience}:{room}"


def holder_room(holder: str, ident: int) -> str:
    """Name the room of every socket one display or user opened ("display:3", "user:7").

    Only for ending their access (server/realtime/access.py): nothing is emitted to it.
    """
    return f"{holder}:{ident}"
