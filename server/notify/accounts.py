"""Write account messages (sign-up and reset codes, invitations) into the outbox."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.codes import AccountMessage, Send
from server.config import Settings
from server.notify import outbox
from server.notify.render import Renderer, languages


def template_language(tag: str, fallback: str) -> str:
    """Return the template folder for a language tag ("pt-BR" -> "pt"), else the clinic's."""
    have = languages()
    for candidate in (tag, tag.split("-")[0].lower()):
        if candidate in have:
            return candidate
    return fallback if fallback in have else "en"


@cache
def _renderer(language: str, timezone: str) -> Renderer:
    return Renderer(language, timezone)


def account_sender(settings: Settings) -> Send:
    """Return the sender the account actions write their messages with."""

    async def send(db: AsyncSession, message: AccountMessage, now: datetime) -> None:
        language = template_language(message.language, settings.language)
        renderer = _renderer(language, settings.timezone)
        text = renderer.render(message.kind, clinic=settings.clinic_name, **message.facts)
        draft = outbox.Draft(
            idem_key=f"account:{message.kind}:{message.occasion}",
            appointment_id=None,
            kind=message.kind,
            channel=message.channel,
            to_address=message.to_address,
            subject=text.subject,
            body=text.body,
        )
        await outbox.add(db, draft, now)

    return send
