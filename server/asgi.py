"""The ASGI entry point: Socket.IO in front, Quart behind."""

from __future__ import annotations

import socketio
from quart import Quart

from server import compression, headers
from server.app import create_app
from server.config import Settings
from server.realtime.server import DEFAULT_SCOPE, create_realtime
from server.runtime import runtime_of


def add_sockets(app: Quart, scope: str = DEFAULT_SCOPE) -> socketio.AsyncServer:
    """Give `app`'s runtime its Socket.IO side, started and stopped with the rest."""
    runtime = runtime_of(app)
    if runtime.started:
        raise RuntimeError("add the sockets before the app starts: they start with it")
    runtime.realtime = create_realtime(app, scope=scope)
    return runtime.realtime.sio


def create_asgi(settings: Settings | None = None, scope: str = DEFAULT_SCOPE) -> headers.ASGI:
    """Build the whole served app; lifespan events reach Quart through ASGIApp."""
    app = create_app(settings)
    # `scope` names the deployment's Redis channel and keys: test runs sharing a Redis differ.
    sio = add_sockets(app, scope=scope)
    # Compression wraps the pages and the API only: Socket.IO's own answers stay as they are.
    served = socketio.ASGIApp(sio, other_asgi_app=compression.wrap(app))
    return headers.wrap(served, runtime_of(app).services.settings)
