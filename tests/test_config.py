"""Settings come from the environment; production refuses an unsafe secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.config import DEFAULT_SECRET, Settings


def test_the_embedded_default_is_an_sqlite_file_and_no_redis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "CLINIC_DATABASE_URL", "CLINIC_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///") and settings.is_sqlite
    assert settings.redis_url is None


def test_database_and_redis_urls_come_from_the_usual_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql+aiomysql://clinic@db/clinic")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("CLINIC_PORT", "8080")
    settings = Settings()
    assert (settings.database_url, settings.redis_url, settings.port) == (
        "mysql+aiomysql://clinic@db/clinic",
        "redis://cache:6379/0",
        8080,
    )
    assert not settings.is_sqlite


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "short"])
def test_production_refuses_a_default_or_short_secret(
    secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("CLINIC_MODE", "production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings()


def test_production_starts_with_a_long_random_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("CLINIC_MODE", "production")
    assert Settings().mode == "production"
