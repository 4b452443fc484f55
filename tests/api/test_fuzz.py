"""Schemathesis against the served OpenAPI, as admin and as patient: no 5xx, all documented."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from server.app import create_app
from server.config import Settings
from tests.browser.server import ServerProcess

pytestmark = pytest.mark.slow

PASSWORDS = {"admin": "demo-admin-pass", "patient": "demo-patient-pass"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Per operation and role: 44 operations x 2 roles x this keeps the whole run to a few minutes.
EXAMPLES = 12


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Serve the demo clinic with `clinic serve` (the real process, its own SQLite file)."""
    process = ServerProcess(tmp_path_factory.mktemp("fuzz"))
    process.seed()
    process.start()
    yield process
    process.stop()


def bearer(server: ServerProcess, username: str) -> str:
    """Log in as a demo user and mint a bearer token, as an API client would."""
    with httpx.Client(base_url=server.url) as http:
        login = http.post(
            "/api/auth/login", json={"username": username, "password": PASSWORDS[username]}
        )
        login.raise_for_status()
        csrf = login.json()["csrf_token"]
        minted = http.post(
            "/api/auth/tokens", json={"name": "fuzz"}, headers={"X-CSRF-Token": csrf}
        )
        minted.raise_for_status()
        return str(minted.json()["token"])


@pytest.fixture(scope="module")
def tokens(served: ServerProcess) -> dict[str, str]:
    return {role: bearer(served, role) for role in PASSWORDS}


@pytest.fixture(scope="module")
def api_schema(served: ServerProcess) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{served.url}/api/openapi.json")


def operations() -> list[tuple[str, str]]:
    """List (method, path) of every documented operation, from the app's own document."""
    app = create_app(Settings(database_url="sqlite+aiosqlite://", secret_key="x" * 40, mode="test"))
    document = app.extensions["QUART_SCHEMA"].openapi_provider.schema()
    return sorted(
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    )


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("role", sorted(PASSWORDS))
@pytest.mark.parametrize(("method", "path"), operations())
def test_the_api_keeps_its_documented_promises(
    method: str,
    path: str,
    role: str,
    api_schema: schemathesis.BaseSchema,
    tokens: dict[str, str],
    served: ServerProcess,
) -> None:
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {tokens[role]}"}

    @FUZZ
    @given(case=operation.as_strategy())
    def one(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=served.url, headers=headers, checks=CHECKS)

    one()
