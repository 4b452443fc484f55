"""The application factory: settings in, a wired Quart app out."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from quart import Quart
from quart.json.provider import DefaultJSONProvider
from quart_auth import QuartAuth
from quart_schema import QuartSchema
from redis.asyncio import Redis

from server import api_docs, headers
from server.api import admin, appointments, auth, clinic, clinical, dashboard, patients, queue
from server.api import desk as desk_api
from server.api import presence as presence_api
from server.api.body import StrictJSONRequest
from server.api.errors import register_error_handlers
from server.api.ids import IdConverter
from server.api.openapi import ClinicOpenAPI
from server.auth import redact
from server.auth.ratelimit import FallbackLimiter, Limiter, MemoryLimiter, RedisLimiter
from server.config import PROJECT_ROOT, Settings
from server.db import make_engine, make_sessionmaker
from server.events import EventHub
from server.fhir.blueprint import bp as fhir_bp
from server.jobs import ArqJobs, InProcessJobs
from server.notify import api as notify_api
from server.notify.runtime import attach as attach_notifications
from server.notify.scheduler import start_scheduler
from server.pages import bp as pages_bp
from server.scheduling.hooks import attach as attach_scheduler
from server.scoring import ModelScorer
from server.screens import bp as screens_bp
from server.screens_public import bp as screens_public_bp
from server.state import ClinicState

log = logging.getLogger(__name__)


class JSONProvider(DefaultJSONProvider):
    """Dates as ISO strings, everywhere."""

    @staticmethod
    def default(o: Any) -> Any:
        if hasattr(o, "isoformat"):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def create_app(settings: Settings | None = None) -> Quart:
    """Build the app: extensions, then blueprints, then error handlers, then the lifespan."""
    settings = settings or Settings()
    app = Quart(
        __name__, static_folder=None, template_folder=str(PROJECT_ROOT / "web" / "templates")
    )
    app.json = JSONProvider(app)
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
        clinic.bp,
        patients.bp,
        appointments.bp,
        queue.bp,
        clinical.bp,
        admin.bp,
        dashboard.bp,
        desk_api.bp,
        notify_api.bp,
        presence_api.bp,
        pages_bp,
        api_docs.bp,
        screens_bp,
        screens_public_bp,
        fhir_bp,
    ):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    headers.install(app, settings)
    redact.install()
    engine = make_engine(settings)
    app.extensions["clinic"] = ClinicState(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        hub=EventHub(),
        limiter=MemoryLimiter(settings.login_max_failures, settings.login_window_s),
    )
    app.extensions["clinic"].extras["on_start"] = [
        attach_scheduler,
        attach_notifications,
        start_scheduler,
    ]
    if settings.demo_speed > 0:  # `clinic demo run --live`: simulated days play through the app
        from server.simulation.live import attach as attach_live_demo

        attach_live_demo(app.extensions["clinic"], settings.demo_speed)
    _lifespan(app)
    return app


def _lifespan(app: Quart) -> None:
    state: ClinicState = app.extensions["clinic"]

    @app.before_serving
    async def _start() -> None:
        if state.settings.redis_url:
            state.redis = Redis.from_url(state.settings.redis_url)
            state.limiter = _redis_limiter(state)
            state.jobs = await ArqJobs.connect(state.settings.redis_url)
        else:
            from workers.jobs import FUNCTIONS

            state.jobs = InProcessJobs(functions=FUNCTIONS, ctx={"state": state})
        state.scorer = await asyncio.to_thread(
            ModelScorer, state.settings.models_path, state.settings.model_check_s
        )
        for hook in state.extras.get("on_start", []):
            await hook(state)

    @app.after_serving
    async def _stop() -> None:
        for hook in state.extras.get("on_stopping", []):  # what still makes changes stops first
            await hook(state)
        if state.jobs is not None:  # first, so that no job reopens what the hooks close
            await state.jobs.close()
        for hook in reversed(state.extras.get("on_stop", [])):
            await hook(state)
        if state.redis is not None:
            await state.redis.aclose()
        await state.engine.dispose()


def _redis_limiter(state: ClinicState) -> Limiter:
    """Count login failures in Redis, and in memory while Redis is down."""
    settings = state.settings
    assert settings.redis_url is not None
    # Its own client with short timeouts: a Redis that hangs must not hold a login up.
    redis = Redis.from_url(settings.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)

    async def close(_: ClinicState) -> None:
        await redis.aclose()

    state.extras.setdefault("on_stop", []).append(close)
    shared = RedisLimiter(redis, settings.login_max_failures, settings.login_window_s)
    local = MemoryLimiter(settings.login_max_failures, settings.login_window_s)
    return FallbackLimiter(shared, local)
