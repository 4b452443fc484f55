"""The landing page and the front-end libraries, served by the app itself (no CDN)."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response, abort, render_template, send_from_directory

from server.auth.web import public
from server.config import PROJECT_ROOT
from server.state import clinic

bp = Blueprint("pages", __name__)

NODE_MODULES = PROJECT_ROOT / "node_modules"
# Only these files of the npm packages are served: a closed list, not node_modules at large.
VENDOR = {
    "bootstrap": (
        "dist/css/bootstrap.min.css",
        "dist/css/bootstrap.min.css.map",
        "dist/js/bootstrap.bundle.min.js",
        "dist/js/bootstrap.bundle.min.js.map",
    ),
    "socket.io-client": ("dist/socket.io.min.js", "dist/socket.io.min.js.map"),
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
