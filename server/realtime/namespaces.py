"""One Socket.IO namespace per audience: board, console, desk, patient."""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio
from quart import Quart

from server.auth.actor import Actor
from server.auth.permissions import DESK as DESK_ROLES
from server.errors import DomainError, Forbidden, RateLimited
from server.models import Doctor, Role
from server.realtime import auth as who
from server.realtime.live import LiveRooms
from server.realtime.rooms import (
    BOARD,
    CONSOLE,
    DESK,
    PATIENT,
    department_room,
    holder_room,
    ticket_room,
)
from server.services import clinic

log = logging.getLogger(__name__)
RESYNCS_PER_WINDOW = 10
RESYNC_WINDOW_S = 10.0
# The key of admit()'s `extra` naming the room of whoever opened the socket (not sent in hello).
HOLDER = "holder"
CONSOLE_ROLES = frozenset({Role.DOCTOR, Role.ADMIN})


class LiveNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Admit a socket to its rooms; send snapshots on `join` and `resync`."""

    def __init__(self, namespace: str, app: Quart, live: LiveRooms) -> None:
        super().__init__(namespace)
        self.app, self.live = app, live

    async def admit(self, environ: dict[str, Any], auth: dict[str, Any]) -> tuple[list[str], Any]:
        """Check who connects; return their rooms and what `hello` tells them.

        `extra[HOLDER]`, if there, names the room of the display or user the socket is
        opened by: ending their access disconnects it (server/realtime/access.py).
        """
        raise NotImplementedError

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Admit or refuse with {code, message}; join the rooms at once so no update is missed."""
        if auth is not None and not isinstance(auth, dict):
            raise who.refusal(who.bad_request("auth must be an object"))
        try:
            # A restart brings every screen back at once: admit a few at a time, not all.
            async with self.live.gate:
                rooms, extra = await self.admit(environ, auth or {})
        except DomainError as error:
            raise who.refusal(error) from None
        except Exception as error:
            log.exception("admitting a socket to %s failed", self.namespace)
            raise who.refusal(error) from None
        holder = extra.pop(HOLDER, None) if isinstance(extra, dict) else None
        await self.save_session(sid, {"rooms": rooms, "extra": extra, "resyncs": []})
        for room in rooms:
            await self.enter_room(sid, room)
        if holder is not None:
            await self.enter_room(sid, holder)

    async def on_join(self, sid: str, _data: Any = None) -> None:
        """Send `hello` and then one `snapshot` per room; or an `error` saying to ask again."""
        connection = await self.get_session(sid)
        try:
            snapshots = [await self.live.snapshot(self.namespace, r) for r in connection["rooms"]]
        except Exception:
            # Never silence: a screen that got nothing would stay blank; live.js asks again.
            log.exception("snapshots for a join on %s failed", self.namespace)
            await self._error(sid, who.UNAVAILABLE, event="join")
            return
        epoch = snapshots[0]["epoch"] if snapshots else ""
        hello = {
            "epoch": epoch,
            "rooms": connection["rooms"],
            **(connection["extra"] or {}),
            "status": self.live.link.status(),
        }
        await self.emit("hello", hello, to=sid)
        for snapshot in snapshots:
            await self.emit("snapshot", snapshot, to=sid)

    async def on_resync(self, sid: str, data: Any = None) -> None:
        """Send a fresh snapshot of one of the socket's rooms."""
        connection = await self.get_session(sid)
        room = data.get("room") if isinstance(data, dict) else None
        if not isinstance(room, str) or room not in connection["rooms"]:
            await self._error(sid, Forbidden("FORBIDDEN", "resync only a room this socket joined"))
            return
        recent = [t for t in connection["resyncs"] if t > time.monotonic() - RESYNC_WINDOW_S]
        if len(recent) >= RESYNCS_PER_WINDOW:
            await self._error(
                sid, RateLimited("RATE_LIMITED", "too many resyncs; wait a few seconds")
            )
            return
        connection["resyncs"] = [*recent, time.monotonic()]
        await self.save_session(sid, connection)
        try:
            snapshot = await self.live.snapshot(self.namespace, room)
        except Exception:
            log.exception("a snapshot for a resync on %s failed", self.namespace)
            await self._error(sid, who.UNAVAILABLE, event="resync")
            return
        await self.emit("snapshot", snapshot, to=sid)

    async def _error(self, sid: str, error: DomainError, event: str | None = None) -> None:
        detail = who.socket_error(error)
        await self.emit("error", detail if event is None else {**detail, "event": event}, to=sid)


class BoardNamespace(LiveNamespace):
    """TV boards: a display key; payloads without names."""

    async def admit(self, environ: dict[str, Any], auth: dict[str, Any]) -> tuple[list[str], Any]:
        """Open the display's department, or the asked ones (default all) for a hall display."""
        wanted = auth.get("departments")
        if wanted is not None and (
            not isinstance(wanted, list) or not all(type(d) is int for d in wanted)
        ):
            raise who.bad_request("auth.departments must be a list of department ids")

        async def work(db: Any) -> tuple[list[str], Any]:
            display = await who.display_for_key(db, auth.get("key"))
            fixed = [display.department_id] if display.department_id is not None else None
            ids = await who.department_ids(db, fixed or wanted)
            shown = {"name": display.name, "language": display.language, "speech": display.speech}
            holder = holder_room("display", display.id)
            return [department_room(d) for d in ids], {"display": shown, HOLDER: holder}

        return await clinic(self.app).read(work)


class StaffNamespace(LiveNamespace):
    """Console and desk: a logged-in or token-bearing member of staff; payloads with names."""

    roles: frozenset[Role] = frozenset()

    async def admit(self, environ: dict[str, Any], auth: dict[str, Any]) -> tuple[list[str], Any]:
        """Open the asked department, or the actor's default ones."""
        actor = await who.connecting_actor(self.app, environ, auth)
        who.require_role(actor, self.roles)
        asked = who.int_field(auth, "department_id")
        # The default only when none is asked for: an admin has none, and asks for one.
        wanted = [asked] if asked is not None else await self.default_departments(actor)
        ids = await clinic(self.app).read(lambda s: who.department_ids(s, wanted))
        user = {"id": actor.user_id, "role": actor.role.value, "doctor_id": actor.doctor_id}
        return [department_room(d) for d in ids], {"user": user, HOLDER: _user_room(actor)}

    async def default_departments(self, actor: Actor) -> list[int] | None:
        """Return the departments to open when none is asked for (None: every one)."""
        return None


class ConsoleNamespace(StaffNamespace):
    """Doctors' consoles: their own department by default."""

    roles = CONSOLE_ROLES

    async def default_departments(self, actor: Actor) -> list[int] | None:
        """Return the doctor's department; an admin must ask for one."""
        if actor.doctor_id is None:
            raise who.bad_request("auth.department_id is needed for a user who is not a doctor")
        doctor = await clinic(self.app).read(lambda s: s.get(Doctor, actor.doctor_id))
        return [doctor.department_id] if doctor is not None else []


class DeskNamespace(StaffNamespace):
    """Staff and nurses' desks: every department unless one is asked for."""

    roles = DESK_ROLES


class PatientNamespace(LiveNamespace):
    """A patient's phone: one ticket, by signed link or as the logged-in patient."""

    async def admit(self, environ: dict[str, Any], auth: dict[str, Any]) -> tuple[list[str], Any]:
        """Open the linked ticket, or the logged-in patient's own `ticket_id`."""
        services = clinic(self.app)
        if "link" in auth:
            ticket_id = await who.linked_ticket(self.app, auth["link"])
            await services.read(lambda s: who.existing_ticket(s, ticket_id))
            return [ticket_room(ticket_id)], {}
        actor = await who.connecting_actor(self.app, environ, auth)
        asked = who.int_field(auth, "ticket_id")
        if asked is None:
            raise who.bad_request("auth.ticket_id is needed without a link")
        ticket_id = await services.read(lambda s: who.own_ticket(s, actor, asked))
        return [ticket_room(ticket_id)], {HOLDER: _user_room(actor)}


def _user_room(actor: Actor) -> str | None:
    return holder_room("user", actor.user_id) if actor.user_id is not None else None


def namespaces(app: Quart, live: LiveRooms) -> list[LiveNamespace]:
    """Build the four namespaces of the live screens."""
    return [
        BoardNamespace(BOARD, app, live),
        ConsoleNamespace(CONSOLE, app, live),
        DeskNamespace(DESK, app, live),
        PatientNamespace(PATIENT, app, live),
    ]
