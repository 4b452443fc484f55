"""The landing page and the front-end libraries, served by the app itself (no CDN)."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response, abort, render_template, request, send_from_directory
from quart.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from server.api.errors import error_response
from server.auth.secrets import digest
from server.auth.web import public
from server.config import PROJECT_ROOT
from server.demo import DEMO_DISPLAY_KEY
from server.errors import APIError
from server.models import Display
from server.services import clinic

bp = Blueprint("pages", __name__)

NODE_MODULES = PROJECT_ROOT / "node_modules"
STATIC_IMAGES = PROJECT_ROOT / "web" / "static" / "img"
# Only these files of the npm packages are served: a closed list, not node_modules at large.
VENDOR = {
    "bootstrap": (
        "dist/css/bootstrap.min.css",
        "dist/css/bootstrap.min.css.map",
        "dist/js/bootstrap.bundle.min.js",
        "dist/js/bootstrap.bundle.min.js.map",
    ),
    "socket.io-client": ("dist/socket.io.esm.min.js", "dist/socket.io.esm.min.js.map"),
    "swagger-ui-dist": (
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-ui-bundle.js.map",
        "swagger-ui.css.map",
    ),
    "chart.js": ("dist/chart.umd.min.js", "dist/chart.umd.min.js.map"),
}


@bp.get("/")
@public
async def landing() -> str:
    """Show the landing page with a link per role."""
    return await render_template("landing.html", name=clinic().settings.clinic_name)


@bp.get("/tv")
@public
async def tv_boards() -> str:
    """Explain how a TV board opens (with a display key); link the demo's board if it exists."""
    services = clinic()
    demo = await services.read(
        lambda s: s.scalar(select(Display.id).where(Display.key_hash == digest(DEMO_DISPLAY_KEY)))
    )
    return await render_template(
        "tv.html",
        name=services.settings.clinic_name,
        public_url=services.settings.public_url,
        demo_board=f"/board?key={DEMO_DISPLAY_KEY}" if demo is not None else None,
    )


@bp.get("/favicon.ico")
@public
async def favicon() -> Response:
    """Serve the icon every page and the board show in the browser's tab."""
    return await send_from_directory(STATIC_IMAGES, "favicon.ico")


@bp.get("/favicon.svg")
@public
async def favicon_svg() -> Response:
    """Serve the icon, drawn in SVG for sharp tabs."""
    return await send_from_directory(STATIC_IMAGES, "favicon.svg")


@bp.app_errorhandler(404)
async def page_not_found(error: NotFound) -> ResponseReturnValue:
    """Answer a browser's unknown page with an HTML page; the API and its clients get JSON."""
    if request.path == "/api" or request.path.startswith("/api/") or not wants_html():
        return error_response(APIError(404, "NOT_FOUND", error.description or error.name))
    page = await render_template("404.html", name=clinic().settings.clinic_name, path=request.path)
    return page, 404


def wants_html() -> bool:
    """Tell whether the client prefers a page to JSON (a browser's Accept header does)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


@bp.get("/health")
@public
async def health() -> dict[str, str]:
    """Answer a load balancer's health check."""
    return {"status": "ok"}


@bp.get("/vendor/<package>/<path:filename>")
@public
async def vendor(package: str, filename: str) -> Response:
    """Serve an allow-listed file of an npm package."""
    if filename not in VENDOR.get(package, ()):
        abort(404)
    root: Path = NODE_MODULES / package
    return await send_from_directory(root, filename)
