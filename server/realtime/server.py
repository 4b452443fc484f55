"""The Socket.IO server in front of the Quart app."""

from __future__ import annotations

import socketio
from quart import Quart

from server.state import clinic


def create_socketio(app: Quart) -> socketio.AsyncServer:
    """Create the Socket.IO server; Redis-backed when REDIS_URL is set, else in memory."""
    settings = clinic(app).settings
    manager = socketio.AsyncRedisManager(settings.redis_url) if settings.redis_url else None
    return socketio.AsyncServer(async_mode="asgi", client_manager=manager, cors_allowed_origins=[])
