"""Every route declares who may call it; the API documents itself."""

from __future__ import annotations

from quart import Quart
from quart.typing import TestClientProtocol as Client

from server.auth.permissions import PERMISSIONS

# Routes served by libraries, not by us: the API's own documentation.
LIBRARY_ROUTES = {"openapi", "swagger_ui"}


def test_every_route_declares_a_permission(app: Quart) -> None:
    missing, unknown = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIBRARY_ROUTES or rule.endpoint.endswith("static"):
            continue
        view = app.view_functions[rule.endpoint]
        permission = getattr(view, "permission", None)
        if permission is None:
            missing.append(f"{rule.rule} ({rule.endpoint})")
        elif permission != "public" and permission not in PERMISSIONS:
            unknown.append(f"{rule.rule}: {permission}")
    assert not missing, f"routes without @requires or @public: {missing}"
    assert not unknown, f"routes naming permissions absent from the table: {unknown}"


def test_only_pages_login_and_health_are_public(app: Quart) -> None:
    public = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "permission", None) == "public"
        and rule.rule.startswith("/api")
    )
    # Self check-in's routes check a secret of their own (a ticket link, a display key) and are
    # rate-limited (docs/checkin.md); so are the patients' own account routes (docs/patients.md).
    checkin = ["/api/checkin", "/api/checkin/codes", "/api/kiosk", "/api/kiosk/check-in"]
    checkin.append("/api/kiosk/walk-in")
    accounts = ["/api/auth/claim", "/api/auth/register", "/api/auth/register/verify"]
    accounts += ["/api/auth/reset", "/api/auth/reset/verify"]
    assert public == sorted(
        ["/api/auth/login", "/api/auth/logout", "/api/docs", *checkin, *accounts]
    )


async def test_the_openapi_document_lists_the_actions(client: Client) -> None:
    response = await client.get("/api/openapi.json")
    spec = await response.get_json()
    assert response.status_code == 200
    for path in (
        "/api/appointments",
        "/api/walk-ins",
        "/api/doctors/{doctor_id}/call-next",
        "/api/emergencies",
        "/api/admin/sessions/{session_id}/close",
    ):
        assert path in spec["paths"], path
    body = spec["paths"]["/api/appointments"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert {"slot_id", "doctor_id", "starts_at", "urgency"} <= set(body["properties"])


async def test_the_docs_page_loads_its_scripts_from_the_app_not_a_cdn(client: Client) -> None:
    html = await (await client.get("/api/docs")).get_data(as_text=True)
    assert "/vendor/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
