"""Administration: departments, doctors, sessions, users, displays, the audit log."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin
from server.api.clinic import int_arg
from server.api.schemas import (
    DepartmentIn,
    DisplayIn,
    DoctorIn,
    SessionCloseIn,
    SessionDelayIn,
    SessionIn,
    UserIn,
)
from server.api.views import department_out, doctor_out, user_out
from server.auth.passwords import hash_password
from server.auth.web import actor, requires
from server.events import iso
from server.models import AuditEvent, DisplayKind, Doctor
from server.scheduling.triggers import request_resequence
from server.services import clinic

bp = Blueprint("admin", __name__, url_prefix="/api/admin")


@bp.post("/departments")
@requires("admin.manage")
@validate_request(DepartmentIn)
async def department(data: DepartmentIn) -> tuple[dict[str, Any], int]:
    """Add a department with its rooms."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: admin.create_department(
            s,
            who,
            code=data.code,
            name=data.name,
            token_prefix=data.token_prefix,
            rooms=data.rooms,
            now=services.clock(),
        )
    )
    return department_out(row), 201


@bp.post("/doctors")
@requires("admin.manage")
@validate_request(DoctorIn)
async def doctor(data: DoctorIn) -> tuple[dict[str, Any], int]:
    """Add a doctor."""
    services, who = clinic(), actor()

    async def work(db: AsyncSession) -> Doctor:
        created = await admin.create_doctor(
            db,
            who,
            department_id=data.department_id,
            name=data.name,
            specialty=data.specialty,
            room_id=data.room_id,
            user_id=data.user_id,
            now=services.clock(),
        )
        await db.refresh(created, ["room", "department"])
        return created

    return doctor_out(await services.run(work)), 201


@bp.post("/sessions")
@requires("admin.manage")
@validate_request(SessionIn)
async def session_create(data: SessionIn) -> tuple[dict[str, Any], int]:
    """Open a doctor's session; its slots are created with it."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: admin.create_session(
            s,
            who,
            now=services.clock(),
            horizon=services.settings.booking_horizon,
            **data.model_dump(),
        )
    )
    return {
        "id": row.id,
        "doctor_id": row.doctor_id,
        "day": row.day.isoformat(),
        "starts_at": iso(row.starts_at),
        "ends_at": iso(row.ends_at),
    }, 201


@bp.post("/sessions/<int:session_id>/delay")
@requires("session.adjust")
@validate_request(SessionDelayIn)
async def session_delay(session_id: int, data: SessionDelayIn) -> dict[str, Any]:
    """Record that a doctor starts late; waits and plans move with it."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: admin.delay_session(
            s, who, session_id=session_id, delay_minutes=data.delay_minutes, now=services.clock()
        )
    )
    await request_resequence(services, row.doctor.department_id, row.day)
    return {"id": row.id, "delay_minutes": row.delay_minutes}


@bp.post("/sessions/<int:session_id>/close")
@requires("session.adjust")
@validate_request(SessionCloseIn)
async def session_close(session_id: int, data: SessionCloseIn) -> dict[str, Any]:
    """Record that a doctor leaves early; later slots close and their patients are shared."""
    services, who = clinic(), actor()
    now = services.clock()
    at = now if data.at is None else data.at
    closed = await services.run(
        lambda s: admin.close_session_early(
            s, who, session_id=session_id, at=at, reason=data.reason, now=now
        )
    )
    row = closed.doctor_session
    await request_resequence(services, closed.department_id, row.day)
    return {
        "id": row.id,
        "closed_early_at": iso(row.closed_early_at),
        "closed_slots": closed.closed_slots,
        "moved_ticket_ids": list(closed.moved_ticket_ids),
    }


@bp.post("/users")
@requires("admin.manage")
@validate_request(UserIn)
async def user(data: UserIn) -> tuple[dict[str, Any], int]:
    """Add a login with a role."""
    services, who = clinic(), actor()
    hashed = await hash_password(data.password)
    row = await services.run(
        lambda s: admin.create_user(
            s,
            who,
            username=data.username,
            password_hash=hashed,
            role=data.role,
            full_name=data.full_name,
            now=services.clock(),
        )
    )
    return user_out(row), 201


@bp.post("/displays")
@requires("admin.manage")
@validate_request(DisplayIn)
async def display(data: DisplayIn) -> tuple[dict[str, Any], int]:
    """Register a TV board; its key is shown once."""
    services, who = clinic(), actor()
    row, key = await services.run(
        lambda s: admin.create_display(
            s,
            who,
            name=data.name,
            department_id=data.department_id,
            language=data.language,
            speech=data.speech,
            kind=data.kind,
            now=services.clock(),
        )
    )
    page = "kiosk" if row.kind is DisplayKind.KIOSK else "board"
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind.value,
        "key": key,
        "url": f"{services.settings.public_url}/{page}?key={key}",
    }, 201


@bp.get("/audit")
@requires("audit.read")
async def audit_log() -> dict[str, Any]:
    """Read the latest audit rows, optionally of one appointment."""
    appointment_id = int_arg("appointment_id")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(200)
    if appointment_id is not None:
        query = query.where(AuditEvent.appointment_id == appointment_id)
    rows = await clinic().read(lambda s: s.scalars(query))
    return {
        "events": [
            {
                "id": e.id,
                "at": iso(e.at),
                "actor_id": e.actor_id,
                "action": e.action,
                "appointment_id": e.appointment_id,
                "from": e.from_status,
                "to": e.to_status,
                "reason": e.reason,
                "details": e.details,
            }
            for e in rows
        ]
    }
