"""The ASGI entry point: Socket.IO in front, Quart behind."""

from __future__ import annotations

import socketio

from server import headers
from server.app import create_app
from server.config import Settings
from server.realtime.server import DEFAULT_SCOPE, create_socketio


def create_asgi(settings: Settings | None = None, scope: str = DEFAULT_SCOPE) -> headers.ASGI:
    """Build the whole served app; lifespan events reach Quart through ASGIApp."""
    app = create_app(settings)
    # `scope` names the deployment's Redis channel and keys: test runs sharing a Redis differ.
    sio = create_socketio(app, scope=scope)
    app.extensions["socketio"] = sio
    served = socketio.ASGIApp(sio, other_asgi_app=app)
    return headers.wrap(served, app.extensions["clinic"].settings)
