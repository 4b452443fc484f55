"""A client's address: forwarded headers count only from configured proxies."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.auth.addresses import client_address, parse_networks
from server.auth.web import access
from server.config import Settings
from server.models import Role
from server.services import clinic
from tests.api.test_auth import add_login
from tests.auth.redis_process import free_port

CLINIC = str(Path(sys.executable).with_name("clinic"))

PROXIES = parse_networks("10.0.0.1, 10.9.0.0/16")


def test_a_direct_client_is_its_peer_whatever_it_forwards() -> None:
    assert client_address("203.0.113.7", ["1.2.3.4"], PROXIES) == "203.0.113.7"
    assert client_address("203.0.113.7", ["1.2.3.4"], ()) == "203.0.113.7"


def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() -> None:
    # The client wrote 6.6.6.6 itself; the proxy appended what it saw, 198.51.100.4.
    assert client_address("10.0.0.1", ["6.6.6.6, 198.51.100.4"], PROXIES) == "198.51.100.4"
    chain = ["6.6.6.6, 198.51.100.4, 10.9.3.3"]  # through two proxies of ours
    assert client_address("10.0.0.1", chain, PROXIES) == "198.51.100.4"
    assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", ["not-an-address"], PROXIES) == "10.0.0.1"


def test_a_bad_proxy_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="not-a-cidr"):
        Settings(mode="test", trusted_proxies="10.0.0.1, not-a-cidr")


async def attempts(client: Client, peer: str, count: int) -> list[str]:
    """Fail `count` logins from `peer`, each with a fresh X-Forwarded-For."""
    codes = []
    for i in range(count):
        response = await client.post(
            "/api/auth/login",
            json={"username": "login-staff", "password": f"guess {i}"},
            headers={"X-Forwarded-For": f"192.0.2.{i + 1}"},
            scope_base={"client": (peer, 40000)},
        )
        codes.append((await response.get_json())["code"])
    return codes


async def test_a_fresh_forwarded_for_per_attempt_does_not_reset_the_limit(
    app: Quart, client: Client
) -> None:
    await add_login(clinic(app), Role.STAFF)
    codes = await attempts(client, "203.0.113.7", 6)
    assert codes == ["BAD_CREDENTIALS"] * 5 + ["RATE_LIMITED"]


async def test_a_trusted_proxys_forwarded_address_is_used_and_the_account_is_limited_too(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = create_app(settings.model_copy(update={"trusted_proxies": "10.0.0.1"}))
    async with app.test_app():
        services = clinic(app)
        await add_login(services, Role.STAFF)
        client = app.test_client()
        # Each attempt comes through the proxy from another address: the addresses differ...
        codes = await attempts(client, "10.0.0.1", settings.login_account_max_failures + 1)
        assert codes[:5] == ["BAD_CREDENTIALS"] * 5  # ...so no per-address limit trips early
        assert codes[-1] == "RATE_LIMITED"  # but the account's own limit does
        blocked = await access(app).limiter.blocked("pair:login-staff|192.0.2.1", 1)
        assert blocked  # counted under the forwarded address, not the proxy's


@pytest.mark.slow
def test_a_served_clinic_ignores_forwarded_for_from_localhost(tmp_path: Path) -> None:
    """`clinic serve` itself (uvicorn) must not believe X-Forwarded-For either."""
    port = free_port()
    env = {
        **os.environ,
        "CLINIC_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'clinic.sqlite3'}",
        "SECRET_KEY": "served-test-secret-key-0123456789abcdef",
        "CLINIC_PORT": str(port),
    }
    env.pop("REDIS_URL", None)
    for command in (
        ["db", "upgrade"],
        ["user", "create", "--username", "login-staff", "--role", "staff", "--password", "x" * 12],
    ):
        subprocess.run([CLINIC, *command], env=env, check=True, capture_output=True)
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [CLINIC, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        url = f"http://127.0.0.1:{port}"
        # A loaded machine may take a while to import and start it: wait for the port, not a
        # fixed number of tries, and stop at once if the server died.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        codes = [
            httpx.post(
                f"{url}/api/auth/login",
                json={"username": "login-staff", "password": f"guess {i}"},
                headers={"X-Forwarded-For": f"192.0.2.{i + 1}"},
            ).json()["code"]
            for i in range(6)
        ]
        assert codes == ["BAD_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
