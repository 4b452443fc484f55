"""The set-up routes: edit, deactivate and revoke departments, rooms, doctors, users, displays.

Admins only (`admin.manage`). Deactivating is `PATCH … {"active": false}`; nothing is deleted.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_request

from server.actions import setup
from server.api.setup_schemas import (
    DepartmentEdit,
    DisplayEdit,
    DoctorEdit,
    PasswordResetIn,
    RoomEdit,
    RoomIn,
    UserEdit,
)
from server.auth.passwords import hash_password
from server.auth.web import access, actor, requires
from server.queries.setup import (
    department_rooms,
    department_setup_out,
    display_setup_out,
    doctor_setup_out,
    room_out,
    setup_overview,
    user_setup_out,
)
from server.services import clinic

bp = Blueprint("admin_setup", __name__, url_prefix="/api/admin")


def _forget_tokens() -> None:
    # This process at once; the others when the access_ended event reaches them (realtime).
    access().actors.clear()


@bp.get("/setup")
@requires("admin.manage")
async def overview() -> dict[str, Any]:
    """List every department with its rooms, doctor, staff login and display."""
    return await clinic().read(setup_overview)


@bp.patch("/departments/<int:department_id>")
@requires("admin.manage")
@validate_request(DepartmentEdit)
async def department_edit(department_id: int, data: DepartmentEdit) -> dict[str, Any]:
    """Edit a department's code, name or token letters, or (de)activate it."""
    services, who = clinic(), actor()

    async def work(db: Any) -> dict[str, Any]:
        row = await setup.update_department(
            db, who, department_id=department_id, changes=data.changes(), now=services.clock()
        )
        rooms = await department_rooms(db, row.id)
        return department_setup_out(row, rooms)

    return await services.run(work)


@bp.post("/departments/<int:department_id>/rooms")
@requires("admin.manage")
@validate_request(RoomIn)
async def room_add(department_id: int, data: RoomIn) -> tuple[dict[str, Any], int]:
    """Add a room to a department."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: setup.add_room(
            s, who, department_id=department_id, name=data.name, now=services.clock()
        )
    )
    return room_out(row), 201


@bp.patch("/rooms/<int:room_id>")
@requires("admin.manage")
@validate_request(RoomEdit)
async def room_edit(room_id: int, data: RoomEdit) -> dict[str, Any]:
    """Rename a room or (de)activate it."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: setup.update_room(
            s, who, room_id=room_id, changes=data.changes(), now=services.clock()
        )
    )
    return room_out(row)


@bp.patch("/doctors/<int:doctor_id>")
@requires("admin.manage")
@validate_request(DoctorEdit)
async def doctor_edit(doctor_id: int, data: DoctorEdit) -> dict[str, Any]:
    """Edit a doctor or (de)activate them (refused while they have bookings to come)."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: setup.update_doctor(
            s, who, doctor_id=doctor_id, changes=data.changes(), now=services.clock()
        )
    )
    _forget_tokens()  # a linked login's remembered doctor_id may have changed
    return doctor_setup_out(row)


@bp.patch("/users/<int:user_id>")
@requires("admin.manage")
@validate_request(UserEdit)
async def user_edit(user_id: int, data: UserEdit) -> dict[str, Any]:
    """Edit a login or (de)activate it; a new role or a deactivation ends its logins."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: setup.update_user(
            s, who, user_id=user_id, changes=data.changes(), now=services.clock()
        )
    )
    _forget_tokens()
    return user_setup_out(row)


@bp.post("/users/<int:user_id>/password")
@requires("admin.manage")
@validate_request(PasswordResetIn)
async def user_password(user_id: int, data: PasswordResetIn) -> dict[str, Any]:
    """Give a user a new password; their logins and bearer tokens end."""
    services, who = clinic(), actor()
    hashed = await hash_password(data.password)
    row = await services.run(
        lambda s: setup.reset_password(
            s, who, user_id=user_id, password_hash=hashed, now=services.clock()
        )
    )
    _forget_tokens()
    return user_setup_out(row)


@bp.post("/users/<int:user_id>/logout")
@requires("admin.manage")
async def user_logout(user_id: int) -> dict[str, Any]:
    """End every browser login of a user."""
    services, who = clinic(), actor()
    ended = await services.run(
        lambda s: setup.end_logins(s, who, user_id=user_id, now=services.clock())
    )
    return {"user_id": user_id, "ended": ended}


@bp.delete("/users/<int:user_id>/tokens")
@requires("admin.manage")
async def user_tokens_revoke(user_id: int) -> dict[str, Any]:
    """Revoke every bearer token of a user."""
    services, who = clinic(), actor()
    revoked = await services.run(
        lambda s: setup.revoke_tokens(s, who, user_id=user_id, now=services.clock())
    )
    _forget_tokens()
    return {"user_id": user_id, "revoked": revoked}


@bp.patch("/displays/<int:display_id>")
@requires("admin.manage")
@validate_request(DisplayEdit)
async def display_edit(display_id: int, data: DisplayEdit) -> dict[str, Any]:
    """Edit a TV board; a connected board reconnects with its new settings."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: setup.update_display(
            s, who, display_id=display_id, changes=data.changes(), now=services.clock()
        )
    )
    return display_setup_out(row)


@bp.post("/displays/<int:display_id>/revoke")
@requires("admin.manage")
async def display_revoke(display_id: int) -> dict[str, Any]:
    """Revoke a board's key: it stops working and its boards are disconnected at once."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: setup.revoke_display(s, who, display_id=display_id, now=services.clock())
    )
    return display_setup_out(row)


@bp.post("/displays/<int:display_id>/key")
@requires("admin.manage")
async def display_key(display_id: int) -> dict[str, Any]:
    """Issue a board a new key, shown once; the old one stops working."""
    services, who = clinic(), actor()
    row, key = await services.run(
        lambda s: setup.new_display_key(s, who, display_id=display_id, now=services.clock())
    )
    return {
        "id": row.id,
        "name": row.name,
        "key": key,
        "url": f"{services.settings.public_url}/board?key={key}",
    }
