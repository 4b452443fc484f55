"""Doctors' desks: open when they are at work, closed when they step away."""

from __future__ import annotations

from typing import Any

from pydantic import StrictBool
from quart import Blueprint
from quart_schema import validate_request

from server.actions.presence import desk_out, set_desk
from server.api.schemas import Strict
from server.auth.web import actor, requires
from server.services import clinic

bp = Blueprint("presence", __name__, url_prefix="/api")


class DeskIn(Strict):
    open: StrictBool


@bp.post("/doctors/<int:doctor_id>/desk")
@requires("desk.presence")
@validate_request(DeskIn)
async def desk(doctor_id: int, data: DeskIn) -> dict[str, Any]:
    """Open or close a doctor's desk (doctors: their own); the queue is re-planned."""
    services, who = clinic(), actor()
    now = services.clock()
    doctor = await services.run(
        lambda s: set_desk(s, who, doctor_id=doctor_id, is_open=data.open, now=now)
    )
    return desk_out(doctor, now.date())
