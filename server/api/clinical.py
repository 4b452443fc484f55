"""Vitals and consultation notes."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_request

from server.actions.clinical import VitalSigns, record_vitals, write_note
from server.api.schemas import NoteIn, VitalsIn
from server.api.views import note_out, vitals_out
from server.auth.web import actor, requires
from server.services import clinic

bp = Blueprint("clinical", __name__, url_prefix="/api/appointments")


@bp.post("/<int:appointment_id>/vitals")
@requires("vitals.record")
@validate_request(VitalsIn)
async def vitals(appointment_id: int, data: VitalsIn) -> tuple[dict[str, Any], int]:
    """Record vitals; implausible values are refused field by field."""
    services, who = clinic(), actor()
    signs = VitalSigns(**data.model_dump())
    row = await services.run(
        lambda s: record_vitals(
            s, who, appointment_id=appointment_id, signs=signs, now=services.clock()
        )
    )
    return vitals_out(row), 201


@bp.post("/<int:appointment_id>/notes")
@requires("note.write")
@validate_request(NoteIn)
async def notes(appointment_id: int, data: NoteIn) -> tuple[dict[str, Any], int]:
    """Write a consultation note."""
    services, who = clinic(), actor()
    row = await services.run(
        lambda s: write_note(
            s, who, appointment_id=appointment_id, text=data.text, now=services.clock()
        )
    )
    return note_out(row), 201
