"""The patients' own account pages: sign up, reset a password, claim an invitation, visits."""

from __future__ import annotations

from quart import Blueprint, render_template

from server.auth.codes import read_invite
from server.auth.web import public
from server.errors import DomainError
from server.i18n import LANGUAGES
from server.services import clinic

bp = Blueprint("screens_accounts", __name__)
# The claim link is a secret: never cache it or send it on as a referrer.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# Each language named in itself, as a patient looks for it.
LANGUAGE_NAMES = {"en": "English", "pt-BR": "Português (Brasil)", "es": "Español"}
INVITE_MAX_AGE_S = 7 * 24 * 3600  # server.actions.signup.INVITE_LIFETIME; the API checks again


async def _page(
    template: str, title: str, status: int = 200, **context: object
) -> tuple[str, int, dict[str, str]]:
    name = clinic().settings.clinic_name
    page = template.removesuffix(".html")
    languages = [(tag, LANGUAGE_NAMES.get(tag, tag)) for tag in LANGUAGES]
    html = await render_template(
        template, page=page, title=title, clinic_name=name, languages=languages, **context
    )
    return html, status, PRIVATE


@bp.get("/signup")
@public
async def signup() -> tuple[str, int, dict[str, str]]:
    """Show the sign-up form and, once a code is sent, the box to type it in."""
    return await _page("signup.html", "Sign up")


@bp.get("/reset")
@public
async def reset() -> tuple[str, int, dict[str, str]]:
    """Show the password reset: ask for a code, then set a new password with it."""
    return await _page("reset.html", "New password")


@bp.get("/claim/<link>")
@public
async def claim(link: str) -> tuple[str, int, dict[str, str]]:
    """Show an invited patient the form that sets their password (the link is checked first)."""
    try:
        read_invite(clinic().settings.secret_key, link, INVITE_MAX_AGE_S)
    except DomainError as error:
        return await _page("claim.html", "Set your password", 401, problem=error.message)
    return await _page("claim.html", "Set your password", link=link)


@bp.get("/my/visits")
@public
async def visits() -> tuple[str, int, dict[str, str]]:
    """Show a patient's visits, their dependants', and how they want to be told."""
    return await _page("visits.html", "My visits")
