"""The served app for tests that run servers as separate processes (uvicorn --factory)."""

from __future__ import annotations

import os

import socketio

from server.asgi import create_asgi

SCOPE_VARIABLE = "CLINIC_TEST_SOCKETIO_SCOPE"


def create() -> socketio.ASGIApp:
    """Build the production app, with this test run's own Redis channel and keys."""
    # Pub/sub channels ignore Redis database numbers: parallel runs need their own names.
    return create_asgi(scope=os.environ[SCOPE_VARIABLE])
