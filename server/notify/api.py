"""Admin view of the outbox: list messages by status, resend a failed one."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, request

from server.auth.web import requires
from server.errors import Malformed
from server.events import iso
from server.models.outbox import OutboxMessage, OutboxStatus
from server.notify import outbox
from server.notify.runtime import request_delivery
from server.services import clinic

bp = Blueprint("outbox", __name__, url_prefix="/api/admin/outbox")
MAX_LIMIT = 500


def message_out(message: OutboxMessage) -> dict[str, Any]:
    """Render one outbox row for the admin."""
    return {
        "id": message.id,
        "appointment_id": message.appointment_id,
        "kind": message.kind,
        "channel": message.channel,
        "to": message.to_address,
        "subject": message.subject,
        "body": message.body,
        "status": message.status.value,
        "attempts": message.attempts,
        "next_attempt_at": iso(message.next_attempt_at),
        "last_error": message.last_error,
        "provider_id": message.provider_id,
        "created_at": iso(message.created_at),
        "sent_at": iso(message.sent_at),
    }


def _query() -> tuple[OutboxStatus | None, int]:
    raw_status, raw_limit = request.args.get("status"), request.args.get("limit", "100")
    allowed = [s.value for s in OutboxStatus]
    if raw_status not in (None, "", *allowed):
        raise Malformed(
            "VALIDATION_ERROR", f"status must be one of {allowed}", {"status": raw_status}
        )
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise Malformed("VALIDATION_ERROR", f"limit must be 1 to {MAX_LIMIT}", {"limit": raw_limit})
    return (OutboxStatus(raw_status) if raw_status else None), int(raw_limit)


@bp.get("")
@requires("admin.manage")
async def list_outbox() -> dict[str, Any]:
    """List the newest messages, optionally only pending, sending, sent or failed ones."""
    status, limit = _query()
    services = clinic()
    rows = await services.read(lambda s: outbox.listing(s, status, limit))
    totals = await services.read(outbox.counts)
    return {"counts": totals, "messages": [message_out(m) for m in rows]}


@bp.post("/<int:message_id>/resend")
@requires("admin.manage")
async def resend(message_id: int) -> dict[str, Any]:
    """Queue a failed message again with a fresh set of attempts."""
    services = clinic()
    message = await services.run(lambda s: outbox.resend(s, message_id, services.clock()))
    await request_delivery(services)
    return message_out(message)
