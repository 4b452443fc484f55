"""A database that does not answer is a 503 with Retry-After, never a 500."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from quart import Quart
from sqlalchemy.exc import OperationalError

from server.api.errors import RETRY_AFTER_S
from server.app import create_app
from server.config import Settings
from server.db import is_outage


def closed_port() -> int:
    """Return a local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def unreachable(settings: Settings) -> AsyncIterator[Quart]:
    """Yield the app pointed at a MariaDB that is down (nothing listens on its port)."""
    url = f"mysql+aiomysql://root@127.0.0.1:{closed_port()}/clinic"
    app = create_app(settings.model_copy(update={"database_url": url}))
    async with app.test_app():
        yield app


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/departments", None),
        ("POST", "/api/walk-ins", {"patient_id": 1, "department_id": 1}),
        ("POST", "/api/auth/login", {"username": "admin", "password": "whatever-it-is"}),
    ],
)
async def test_a_database_outage_is_a_503_with_retry_after(
    method: str, path: str, body: dict[str, object] | None, unreachable: Quart
) -> None:
    client = unreachable.test_client()
    response = await client.open(
        path, method=method, json=body, headers={"Authorization": "Bearer cq_anything"}
    )
    payload = await response.get_json()
    assert response.status_code == 503 and payload["code"] == "DATABASE_UNAVAILABLE"
    assert response.headers["Retry-After"] == str(RETRY_AFTER_S)


def test_only_connection_failures_count_as_outages() -> None:
    lost = OperationalError("SELECT 1", {}, Exception(2013, "Lost connection"))
    assert is_outage(lost)
    assert not is_outage(ValueError("a bug"))
