"""The staff and booking screens: login, doctor console, desk, booking, admin, and their assets."""

from __future__ import annotations

from quart import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import browser, language
from server.auth.redirects import safe_next
from server.auth.web import current_actor, public
from server.config import PROJECT_ROOT
from server.i18n import N_, gettext
from server.models import User
from server.services import clinic

bp = Blueprint("screens", __name__)

STATIC = PROJECT_ROOT / "web" / "static"
# page path -> (template, title); each page checks its user through the API it calls.
PAGES = {
    "login": ("login.html", N_("Log in")),
    "console": ("console.html", N_("Doctor console")),
    "desk": ("desk.html", N_("Staff and nurse desk")),
    "book": ("book.html", N_("Book an appointment")),
    "admin": ("admin.html", N_("Administration")),
}


async def _user_language() -> None:
    """Serve the page in the logged-in user's language (unless the switch chose one)."""
    actor = await current_actor()
    if actor is not None and actor.user_id is not None:
        user_id = actor.user_id
        language.for_person(await clinic().read(lambda s: _language_of(s, user_id)))


async def _language_of(db: AsyncSession, user_id: int) -> str | None:
    return await db.scalar(select(User.language).where(User.id == user_id))


async def _page(name: str, **context: object) -> str:
    template, title = PAGES[name]
    await _user_language()
    return await render_template(
        template,
        page=name,
        title=gettext(title),
        clinic_name=clinic().settings.clinic_name,
        **context,
    )


@bp.get("/login")
@public
async def login() -> str:
    """Show the login form; it returns to `next`, if a path on this site, after login."""
    return await _page("login", next=safe_next(request.args.get("next")) or "")


@bp.get("/console")
@public
async def console() -> str:
    """Show the doctor console (the page is open; its API calls need a doctor)."""
    return await _page("console")


@bp.get("/desk")
@public
async def desk() -> str:
    """Show the staff and nurse desk."""
    return await _page("desk")


@bp.get("/book")
@public
async def book() -> str:
    """Show the patients' online booking page."""
    return await _page("book")


@bp.get("/admin")
@public
async def admin() -> str:
    """Show the administration page."""
    return await _page("admin")


@bp.get(browser.MODULE_PATH)
@public
async def server_module() -> Response:
    """Serve the generated module of the server's lists (event kinds, final refusals)."""
    response = Response(browser.SOURCE, mimetype="text/javascript")
    # Cached like the files beside it; the tag changes whenever a list does.
    response.set_etag(browser.ETAG)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.get_send_file_max_age(None)
    return await response.make_conditional(request)


@bp.get("/static/<path:filename>")
@public
async def asset(filename: str) -> Response:
    """Serve the screens' own scripts and styles from web/static."""
    # send_from_directory refuses paths that leave the folder, so this serves nothing else.
    return await send_from_directory(STATIC, filename)
