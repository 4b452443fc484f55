"""Login limits: per account and per address, and still counted while Redis is down."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app import create_app
from server.auth.ratelimit import FallbackLimiter
from server.auth.web import access
from server.config import Settings
from server.models import Role
from server.services import clinic
from tests.api.test_auth import add_login, login
from tests.auth.redis_process import RedisProcess

PASSWORD = "correct horse battery"


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    server = RedisProcess()
    server.start()
    yield server
    server.kill()


@pytest.mark.slow
@pytest.mark.redis
async def test_logins_work_while_redis_is_down_and_limits_go_back_to_redis(
    settings: Settings,
    engine: AsyncEngine,
    redis_process: RedisProcess,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": redis_process.url}))
    async with app.test_app():
        services = clinic(app)
        limiter = access(app).limiter
        assert isinstance(limiter, FallbackLimiter)
        limiter.retry_s = 0.0  # try Redis on every call: no waiting in the test
        await add_login(services, Role.STAFF)
        client = app.test_client()
        assert (await login(client, "login-staff", "wrong"))[0] == 401
        assert redis_process.client().keys("clinic:login:*")  # counted in Redis

        redis_process.kill()
        with caplog.at_level(logging.WARNING, logger="server.auth.ratelimit"):
            status, _ = await login(client, "login-staff", PASSWORD)
            assert status == 200  # not 500: nobody is locked out by the outage
            codes = [
                (await login(client, "login-staff", f"guess {i}"))[1]["code"] for i in range(6)
            ]
            assert codes == ["BAD_CREDENTIALS"] * 5 + ["RATE_LIMITED"]  # still limited
        outage = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(outage) == 1  # logged once, not per request

        redis_process.start()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="server.auth.ratelimit"):
            await login(client, "nobody", "wrong")
        assert redis_process.client().keys("clinic:login:*")  # back to Redis
        assert any("answers again" in r.getMessage() for r in caplog.records)
