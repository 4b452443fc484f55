"""The language of each page: the switch (`?lang=`, then its cookie), the person, the browser.

Order: a `lang` in the address (which the switch sets, and which is remembered in the `lang`
cookie), the `lang` cookie, the logged-in user's or the ticket's patient's language (pages call
`for_person`), the browser's Accept-Language, the clinic's language (CLINIC_LANGUAGE).
"""

from __future__ import annotations

from urllib.parse import urlencode

from quart import Quart, Response, g, request

from server import i18n
from server.auth.redirects import safe_next
from server.config import Settings

COOKIE = "lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600


def for_person(language: str | None) -> None:
    """Serve the page in a person's language unless the switch chose one."""
    if not g.get("language_chosen") and i18n.supported(language):
        i18n.set_current(language or i18n.DEFAULT_LANGUAGE)


def switch_url(language: str) -> str:
    """Return this page's address with `lang` set: what the language switch links to."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    # A `next` that would leave the site is dropped here as the login page drops it.
    args = [(key, safe_next(value) or "") if key == "next" else (key, value) for key, value in args]
    args = [(key, value) for key, value in args if key != "next" or value]
    return f"{request.path}?{urlencode([*args, ('lang', language)])}"


def install(app: Quart, settings: Settings) -> None:
    """Choose each request's language before it runs; remember a switch in a cookie."""

    @app.before_request
    async def _choose() -> None:
        asked = i18n.supported(request.args.get("lang"))
        chosen = asked or i18n.supported(request.cookies.get(COOKIE))
        g.language_asked = asked
        g.language_chosen = chosen is not None
        browser = i18n.from_accept_language(request.headers.get("Accept-Language"))
        i18n.set_current(i18n.choose(chosen, browser, default=settings.language))

    @app.after_request
    async def _remember(response: Response) -> Response:
        asked = g.get("language_asked")
        if asked and asked != request.cookies.get(COOKIE):
            response.set_cookie(
                COOKIE,
                asked,
                max_age=COOKIE_MAX_AGE_S,
                samesite="Lax",
                secure=settings.cookie_secure,
                httponly=False,  # read by nothing secret: the page's scripts may see it
            )
        if response.mimetype == "text/html":
            response.headers["Content-Language"] = i18n.current()
            response.vary.update(("Accept-Language", "Cookie"))
        return response

    @app.context_processor
    async def _switch() -> dict[str, object]:
        return {"switch_url": switch_url, "language_names": i18n.NAMES}
