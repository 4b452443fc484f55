"""Settings come from the environment; no known secret outside tests; files under var_dir."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

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


@pytest.fixture
def unset_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Clear the secret and database settings; put the var directory in tmp_path."""
    for name in ("SECRET_KEY", "CLINIC_SECRET_KEY", "DATABASE_URL", "CLINIC_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLINIC_MODE", "development")
    var = tmp_path / "var"
    monkeypatch.setenv("CLINIC_VAR_DIR", str(var))
    return var


@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "short", "change-me"])
def test_every_mode_but_test_refuses_a_known_or_short_secret(
    mode: str, secret: str, unset_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_MODE", mode)
    monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="SECRET_KEY") as refused:
        Settings()
    assert secret[:8] not in str(refused.value)  # the refusal never prints the secret


def test_without_secret_key_a_random_secret_is_made_once_and_kept_owner_only(
    unset_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="server.config"):
        first = Settings()
        second = Settings()
    assert first.secret_key == second.secret_key  # reused: cookies survive a restart
    assert first.secret_key != DEFAULT_SECRET and len(first.secret_key) >= 32
    folder = unset_env / "secrets"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(unset_env.stat().st_mode) == 0o700  # made here: the database's too
    assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600
    said = [r.getMessage() for r in caplog.records]
    assert "file created" in said[0] and "file read" in said[1]
    assert not any(first.secret_key in line for line in said)  # never the value


def test_an_environment_secret_is_used_and_said_so(
    unset_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SECRET_KEY", "e" * 40)
    with caplog.at_level(logging.INFO, logger="server.config"):
        assert Settings().secret_key == "e" * 40
    assert "signing secret: env" in caplog.text and "e" * 40 not in caplog.text
    assert not (unset_env / "secrets").exists()


def test_a_secret_file_others_can_read_is_refused(unset_env: Path) -> None:
    Settings()
    (unset_env / "secrets" / "secret_key").chmod(0o644)
    with pytest.raises(ValidationError, match="chmod 600"):
        Settings()


def test_the_var_directory_moves_every_default_file(unset_env: Path) -> None:
    settings = Settings()
    assert settings.database_url == f"sqlite+aiosqlite:///{unset_env / 'clinic.sqlite3'}"
    assert settings.models_path == unset_env / "models"
    assert (unset_env / "secrets" / "secret_key").exists()
