"""Weekly rotas under /api/admin/rotas: templates, closures, leave, previews, the button."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from quart import Blueprint
from quart_schema import validate_request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import rotas
from server.actions.rotas import AffectedSession, Outcome
from server.api import rota_schemas as r
from server.auth.web import actor, requires
from server.events import iso
from server.models import ClinicClosure, DoctorLeave, SessionTemplate
from server.services import clinic

bp = Blueprint("admin_rotas", __name__, url_prefix="/api/admin/rotas")

# The OpenAPI document's success bodies and extra error statuses (server/api/openapi.py).
CHANGE = (404, 409, 422)
RESPONSES: dict[str, tuple[int, type[BaseModel] | None, frozenset[int]]] = {
    "admin_rotas.overview": (200, r.RotaOut, frozenset()),
    "admin_rotas.template_create": (201, r.TemplateOut, frozenset(CHANGE)),
    "admin_rotas.template_preview": (200, r.AffectedOut, frozenset({404, 409, 422})),
    "admin_rotas.template_update": (200, r.ChangeOut, frozenset(CHANGE)),
    "admin_rotas.closure_preview": (200, r.AffectedOut, frozenset({422})),
    "admin_rotas.closure_create": (201, r.ChangeOut, frozenset({409, 422})),
    "admin_rotas.closure_delete": (200, r.ChangeOut, frozenset({404})),
    "admin_rotas.leave_preview": (200, r.AffectedOut, frozenset({404, 422})),
    "admin_rotas.leave_create": (201, r.ChangeOut, frozenset(CHANGE)),
    "admin_rotas.leave_delete": (200, r.ChangeOut, frozenset({404})),
    "admin_rotas.generate": (200, r.GeneratedOut, frozenset()),
}


def template_out(row: SessionTemplate) -> dict[str, Any]:
    """Return a template as the API shows it."""
    return {
        "id": row.id,
        "doctor_id": row.doctor_id,
        "weekday": row.weekday,
        "start_time": row.start_time.strftime("%H:%M"),
        "end_time": row.end_time.strftime("%H:%M"),
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        "slot_minutes": row.slot_minutes,
        "capacity_per_slot": row.capacity_per_slot,
        "overbook_cap": row.overbook_cap,
        "room_id": row.room_id,
        "active": row.active,
    }


def away_out(row: ClinicClosure | DoctorLeave) -> dict[str, Any]:
    """Return a closure or a leave as the API shows it."""
    return {
        "id": row.id,
        "doctor_id": getattr(row, "doctor_id", None),
        "starts_on": row.starts_on.isoformat(),
        "ends_on": row.ends_on.isoformat(),
        "reason": row.reason,
    }


def affected_out(affected: Sequence[AffectedSession]) -> dict[str, Any]:
    """Return the preview of a change: sessions withdrawn, bookings cancelled."""
    return {
        "sessions": [
            {
                "session_id": s.session_id,
                "doctor_id": s.doctor_id,
                "doctor_name": s.doctor_name,
                "starts_at": iso(s.starts_at),
                "ends_at": iso(s.ends_at),
                "bookings": [
                    {
                        "appointment_id": b.appointment_id,
                        "ticket_id": b.ticket_id,
                        "token": b.token,
                        "patient_id": b.patient_id,
                        "patient_name": b.patient_name,
                        "scheduled_at": iso(b.scheduled_at),
                        "status": b.status.value,
                    }
                    for b in s.bookings
                ],
            }
            for s in affected
        ],
        "appointment_ids": rotas.appointment_ids(affected),
    }


def change_out(outcome: Outcome) -> dict[str, Any]:
    """Return what a confirmed change did."""
    return {
        "id": outcome.row.id,
        "withdrawn_session_ids": list(outcome.withdrawn),
        "cancelled_appointment_ids": list(outcome.cancelled),
        "created_session_ids": list(outcome.created),
        "move_offer_ids": list(outcome.offers),
    }


@bp.get("")
@requires("admin.manage")
async def overview() -> dict[str, Any]:
    """List the templates, the closures and the leave still to come or running."""
    services = clinic()
    today = rotas.rules_of(services.settings).today(services.clock())

    async def read(db: AsyncSession) -> dict[str, Any]:
        templates = await db.scalars(
            select(SessionTemplate).order_by(
                SessionTemplate.doctor_id, SessionTemplate.weekday, SessionTemplate.start_time
            )
        )
        closures = await db.scalars(
            select(ClinicClosure)
            .where(ClinicClosure.ends_on >= today)
            .order_by(ClinicClosure.starts_on)
        )
        leave = await db.scalars(
            select(DoctorLeave).where(DoctorLeave.ends_on >= today).order_by(DoctorLeave.starts_on)
        )
        return {
            "timezone": services.settings.timezone,
            "weeks_ahead": services.settings.rota_weeks_ahead,
            "templates": [template_out(t) for t in templates],
            "closures": [away_out(c) for c in closures],
            "leave": [away_out(item) for item in leave],
        }

    return await services.read(read)


@bp.post("/templates")
@requires("admin.manage")
@validate_request(r.TemplateIn)
async def template_create(data: r.TemplateIn) -> tuple[dict[str, Any], int]:
    """Add a doctor's weekly session template."""
    services, who = clinic(), actor()
    rules = rotas.rules_of(services.settings)
    row = await services.run(
        lambda s: rotas.create_template(
            s, who, now=services.clock(), rules=rules, **data.model_dump()
        )
    )
    return template_out(row), 201


@bp.post("/templates/<int:template_id>/preview")
@requires("admin.manage")
@validate_request(r.TemplateChangeIn)
async def template_preview(template_id: int, data: r.TemplateChangeIn) -> dict[str, Any]:
    """List the sessions and bookings an edit would withdraw; nothing changes."""
    services, changes = clinic(), data.changes()
    rules = rotas.rules_of(services.settings)
    affected = await services.read(
        lambda s: rotas.preview_template_change(
            s, template_id=template_id, changes=changes, now=services.clock(), rules=rules
        )
    )
    return affected_out(affected)


@bp.patch("/templates/<int:template_id>")
@requires("admin.manage")
@validate_request(r.TemplateChangeIn)
async def template_update(template_id: int, data: r.TemplateChangeIn) -> dict[str, Any]:
    """Edit or end a template; the bookings it cancels must be confirmed (409 otherwise)."""
    services, who, changes = clinic(), actor(), data.changes()
    rules = rotas.rules_of(services.settings)
    outcome = await services.run(
        lambda s: rotas.update_template(
            s,
            who,
            template_id=template_id,
            changes=changes,
            confirmed=data.confirm_appointment_ids,
            now=services.clock(),
            rules=rules,
            offer_moves=data.offer_moves,
        )
    )
    return change_out(outcome)


async def _preview_away(data: r.ClosureIn, doctor_id: int | None) -> dict[str, Any]:
    services = clinic()
    rules = rotas.rules_of(services.settings)
    affected = await services.read(
        lambda s: rotas.preview_away(
            s,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            doctor_id=doctor_id,
            now=services.clock(),
            rules=rules,
        )
    )
    return affected_out(affected)


async def _add_away(data: r.ClosureIn, doctor_id: int | None) -> tuple[dict[str, Any], int]:
    services, who = clinic(), actor()
    rules = rotas.rules_of(services.settings)
    outcome = await services.run(
        lambda s: rotas.add_away(
            s,
            who,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            reason=data.reason,
            confirmed=data.confirm_appointment_ids,
            doctor_id=doctor_id,
            offer_moves=data.offer_moves,
            now=services.clock(),
            rules=rules,
        )
    )
    return change_out(outcome), 201


async def _lift(closure_id: int | None, leave_id: int | None) -> dict[str, Any]:
    services, who = clinic(), actor()
    rules = rotas.rules_of(services.settings)
    outcome = await services.run(
        lambda s: rotas.lift_away(
            s, who, closure_id=closure_id, leave_id=leave_id, now=services.clock(), rules=rules
        )
    )
    return change_out(outcome)


@bp.post("/closures/preview")
@requires("admin.manage")
@validate_request(r.ClosureIn)
async def closure_preview(data: r.ClosureIn) -> dict[str, Any]:
    """List the sessions and bookings closing the clinic on these days would withdraw."""
    return await _preview_away(data, None)


@bp.post("/closures")
@requires("admin.manage")
@validate_request(r.ClosureIn)
async def closure_create(data: r.ClosureIn) -> tuple[dict[str, Any], int]:
    """Close the clinic on these days; the bookings it cancels must be confirmed."""
    return await _add_away(data, None)


@bp.delete("/closures/<int:closure_id>")
@requires("admin.manage")
async def closure_delete(closure_id: int) -> dict[str, Any]:
    """Reopen the days of a closure; their sessions are made again."""
    return await _lift(closure_id, None)


@bp.post("/leave/preview")
@requires("admin.manage")
@validate_request(r.LeaveIn)
async def leave_preview(data: r.LeaveIn) -> dict[str, Any]:
    """List the sessions and bookings a doctor's leave would withdraw."""
    return await _preview_away(data, data.doctor_id)


@bp.post("/leave")
@requires("admin.manage")
@validate_request(r.LeaveIn)
async def leave_create(data: r.LeaveIn) -> tuple[dict[str, Any], int]:
    """Record a doctor's leave; the bookings it cancels must be confirmed."""
    return await _add_away(data, data.doctor_id)


@bp.delete("/leave/<int:leave_id>")
@requires("admin.manage")
async def leave_delete(leave_id: int) -> dict[str, Any]:
    """Remove a doctor's leave; their sessions are made again."""
    return await _lift(None, leave_id)


@bp.post("/generate")
@requires("admin.manage")
async def generate() -> dict[str, Any]:
    """Create the sessions the templates call for over the next N weeks (the nightly job's work)."""
    services, who = clinic(), actor()
    rules = rotas.rules_of(services.settings)
    now = services.clock()
    created = await services.run(lambda s: rotas.generate(s, who, now=now, rules=rules))
    return {
        "created": len(created),
        "session_ids": [b.id for b in created],
        "through": rules.last_day(now).isoformat(),
    }
