"""Write a patient's message about a ticket into the outbox: who, which channel, what text."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.common import room_name
from server.auth.secrets import sign_ticket
from server.config import Settings
from server.models import ContactPreference, Doctor, Patient, Ticket
from server.notify import outbox
from server.notify.render import Renderer
from server.notify.settings import NotifySettings

log = logging.getLogger(__name__)


def recipient(patient: Patient) -> tuple[str, str] | None:
    """Return (channel, address) as the patient chose, or None if they want no messages."""
    if patient.opted_out:
        return None
    if patient.contact_preference is ContactPreference.SMS and patient.phone:
        return "sms", patient.phone
    if patient.contact_preference is ContactPreference.EMAIL and patient.email:
        return "email", patient.email
    return None


@dataclass(frozen=True, slots=True)
class Composer:
    """Turn (ticket, kind of message, occasion) into an outbox row, once."""

    settings: Settings
    config: NotifySettings
    renderer: Renderer

    def link(self, ticket_id: int) -> str:
        """Return the patient's signed live link to this ticket's page."""
        return f"{self.settings.public_url}/t/{sign_ticket(self.settings.secret_key, ticket_id)}"

    async def facts(self, db: AsyncSession, ticket: Ticket) -> dict[str, Any]:
        """Collect what every template may mention about a ticket (times in the patient's way)."""
        appointment = ticket.appointment
        language = appointment.patient.language
        doctor_id = ticket.doctor_id or appointment.doctor_id
        doctor = await db.get(Doctor, doctor_id) if doctor_id is not None else None
        room_id = ticket.room_id or (doctor.room_id if doctor else None)
        return {
            "clinic": self.settings.clinic_name,
            "token": ticket.token,
            "when": self.renderer.when(appointment.scheduled_at, language),
            "doctor": doctor.name if doctor else None,
            "room": await room_name(db, room_id),
            "link": self.link(ticket.id),
        }

    async def to_ticket(
        self,
        db: AsyncSession,
        ticket_id: int,
        kind: str,
        occasion: str,
        now: datetime,
        *,
        not_before: datetime | None = None,
        **extra: Any,
    ) -> bool:
        """Queue message `kind` for the ticket's patient; False if they want none."""
        ticket = await db.get(Ticket, ticket_id)
        if ticket is None:
            return False
        appointment = ticket.appointment
        to = recipient(appointment.patient)
        if to is None:
            log.info("no %s message for appointment %d: opted out or no address", kind, ticket.id)
            return False
        facts = await self.facts(db, ticket)
        # The patient's language picks the template (the clinic's if theirs has none).
        text = self.renderer.render(kind, appointment.patient.language, **facts, **extra)
        draft = outbox.Draft(
            idem_key=f"{appointment.id}:{kind}:{occasion}",
            appointment_id=appointment.id,
            kind=kind,
            channel=to[0],
            to_address=to[1],
            subject=text.subject,
            body=text.body,
        )
        await outbox.add(db, draft, now, not_before)
        return True
