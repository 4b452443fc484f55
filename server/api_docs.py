"""The API's Swagger UI page, with its start-up script in a file (the CSP allows no inline)."""

from __future__ import annotations

from quart import Blueprint, render_template
from quart_schema import hide

from server.auth.web import public
from server.services import clinic

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
@public
@hide
async def api_docs() -> str:
    """Show the interactive API documentation of /api/openapi.json."""
    title = f"{clinic().settings.clinic_name} API"
    return await render_template("api_docs.html", title=title, openapi_url="/api/openapi.json")
