"""The waitlist's message: a place is free for you, confirm by this link before it runs out."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.secrets import sign_offer
from server.models import Department, Doctor, Patient, Slot, Ticket
from server.models.waitlist import WaitlistEntry, WaitlistOffer
from server.notify import outbox
from server.notify.compose import Composer, recipient

log = logging.getLogger(__name__)
KIND = "waitlist_offer"


def offer_link(composer: Composer, offer_id: int) -> str:
    """Return the signed page where the patient confirms or declines the offer."""
    settings = composer.settings
    return f"{settings.public_url}/w/{sign_offer(settings.secret_key, offer_id)}"


async def tell_offer(
    db: AsyncSession, composer: Composer, offer: WaitlistOffer, now: datetime
) -> bool:
    """Queue the offer's message to its patient, once; False if they want no messages."""
    entry = await db.get(WaitlistEntry, offer.entry_id)
    slot = await db.get(Slot, offer.slot_id)
    if entry is None or slot is None:
        return False
    patient = await db.get(Patient, entry.patient_id)
    to = recipient(patient) if patient is not None else None
    if to is None:
        # The offer still shows in GET /api/waitlist (the desk may phone them); it still runs out.
        log.info("no waitlist offer message for entry %d: opted out or no address", entry.id)
        return False
    doctor = await db.get(Doctor, slot.doctor_id)
    department = await db.get(Department, entry.department_id)
    renderer = composer.renderer
    language = patient.language if patient is not None else None
    text = renderer.render(
        KIND,
        language,
        clinic=composer.settings.clinic_name,
        when=renderer.when(slot.starts_at, language),
        until=renderer.when(offer.expires_at, language),
        doctor=doctor.name if doctor else None,
        department=department.name if department else "",
        link=offer_link(composer, offer.id),
    )
    draft = outbox.Draft(
        idem_key=f"w{entry.id}:{KIND}:{offer.id}",
        appointment_id=None,
        kind=KIND,
        channel=to[0],
        to_address=to[1],
        subject=text.subject,
        body=text.body,
    )
    await outbox.add(db, draft, now, None)
    return True


async def move_facts(
    db: AsyncSession, composer: Composer, offer_id: int, ticket_id: int
) -> dict[str, str | None] | None:
    """Return what a rota cancellation's message says of the new time held (`rota_moved`)."""
    offer = await db.get(WaitlistOffer, offer_id)
    slot = await db.get(Slot, offer.slot_id) if offer is not None else None
    ticket = await db.get(Ticket, ticket_id)
    if offer is None or slot is None or ticket is None:
        return None
    language = ticket.appointment.patient.language
    doctor = await db.get(Doctor, slot.doctor_id)
    renderer = composer.renderer
    return {
        "new_when": renderer.when(slot.starts_at, language),
        "new_doctor": doctor.name if doctor else None,
        "until": renderer.when(offer.expires_at, language),
        "offer_link": offer_link(composer, offer.id),
    }
