"""The application factory: settings in, a wired Quart app out."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from quart import Quart
from quart.json.provider import DefaultJSONProvider
from quart_auth import QuartAuth
from quart_schema import QuartSchema

from server import api_docs, headers, i18n, language
from server.api import accounts as accounts_api
from server.api import (
    admin,
    admin_rotas,
    appointments,
    auth,
    clinic,
    clinical,
    dashboard,
    patients,
    queue,
)
from server.api import admin_priority as priority_api
from server.api import admin_setup as setup_api
from server.api import checkin as checkin_api
from server.api import desk as desk_api
from server.api import presence as presence_api
from server.api import waitlist as waitlist_api
from server.api.body import StrictJSONRequest
from server.api.errors import register_error_handlers
from server.api.ids import IdConverter
from server.api.openapi import ClinicOpenAPI
from server.auth import redact
from server.config import PROJECT_ROOT, Settings
from server.fhir.blueprint import bp as fhir_bp
from server.notify import api as notify_api
from server.notify.settings import NotifySettings
from server.offer_page import bp as offer_page_bp
from server.pages import bp as pages_bp
from server.runtime import ProcessRole, build_runtime
from server.screens import bp as screens_bp
from server.screens_accounts import bp as screens_accounts_bp
from server.screens_public import bp as screens_public_bp
from server.screens_self import bp as screens_self_bp

log = logging.getLogger(__name__)


class JSONProvider(DefaultJSONProvider):
    """Dates as ISO strings, everywhere."""

    @staticmethod
    def default(o: Any) -> Any:
        if hasattr(o, "isoformat"):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def create_app(settings: Settings | None = None, notify: NotifySettings | None = None) -> Quart:
    """Build the app: extensions, blueprints, error handlers, then its runtime (server/runtime)."""
    settings = settings or Settings()
    app = Quart(
        __name__, static_folder=None, template_folder=str(PROJECT_ROOT / "web" / "templates")
    )
    app.json = JSONProvider(app)
    i18n.install(app.jinja_env)
    language.install(app, settings)
    app.request_class = StrictJSONRequest
    app.url_map.converters["int"] = IdConverter  # before any route: every <int:…> is an id
    app.config.update(
        SECRET_KEY=settings.secret_key,
        QUART_AUTH_COOKIE_SECURE=settings.cookie_secure,
        QUART_AUTH_DURATION=int(settings.session_lifetime.total_seconds()),
        QUART_AUTH_COOKIE_NAME="clinic_session",
        MAX_CONTENT_LENGTH=1 << 20,
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(hours=1),
    )
    QuartAuth(app)
    QuartSchema(
        app,
        info={"title": f"{settings.clinic_name} API", "version": "1"},
        redoc_ui_path=None,
        scalar_ui_path=None,
        swagger_ui_path=None,  # server/api_docs.py serves it without inline script
        openapi_path="/api/openapi.json",
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        openapi_provider_class=ClinicOpenAPI,
    )
    for blueprint in (
        auth.bp,
        accounts_api.bp,
        clinic.bp,
        patients.bp,
        appointments.bp,
        queue.bp,
        clinical.bp,
        admin.bp,
        setup_api.bp,
        admin_rotas.bp,
        priority_api.bp,
        dashboard.bp,
        desk_api.bp,
        notify_api.bp,
        presence_api.bp,
        checkin_api.bp,
        waitlist_api.bp,
        offer_page_bp,
        pages_bp,
        api_docs.bp,
        screens_bp,
        screens_public_bp,
        screens_self_bp,
        screens_accounts_bp,
        fhir_bp,
    ):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    headers.install(app, settings)
    redact.install()
    runtime = build_runtime(settings, ProcessRole.SERVER, notify=notify)
    app.extensions["clinic_runtime"] = runtime
    app.extensions["clinic"] = runtime.services
    app.extensions["clinic_access"] = runtime.access
    app.before_serving(runtime.start)
    app.after_serving(runtime.stop)
    return app
