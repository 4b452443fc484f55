"""Typed settings for the clinic, read from environment variables."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-insecure-secret-change-me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


LOCAL_HOSTS = frozenset({"", "127.0.0.1", "localhost", "::1", "0.0.0.0", "::"})


def public_url_for(host: str, port: int) -> str:
    """Return the URL a browser on this machine opens for a server on `host`:`port`."""
    name = "localhost" if host in LOCAL_HOSTS else host
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


class Settings(BaseSettings):
    """Everything the server, the workers and the CLI need to know."""

    model_config = SettingsConfigDict(env_prefix="CLINIC_", extra="ignore", frozen=True)

    mode: Literal["development", "production", "test"] = "development"
    secret_key: str = Field(
        DEFAULT_SECRET, validation_alias=AliasChoices("SECRET_KEY", "CLINIC_SECRET_KEY")
    )
    database_url: str = Field(
        f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'clinic.sqlite3'}",
        validation_alias=AliasChoices("DATABASE_URL", "CLINIC_DATABASE_URL"),
    )
    redis_url: str | None = Field(
        None, validation_alias=AliasChoices("REDIS_URL", "CLINIC_REDIS_URL")
    )
    db_pool_size: int = 20
    db_max_overflow: int = 20
    # A pooled MariaDB connection idle longer than this is pinged before use; a busy one is not.
    db_ping_idle_s: float = 10.0
    host: str = "127.0.0.1"
    port: int = 5000
    public_url: str = "http://localhost:5000"  # default: from host and port
    clinic_name: str = "Demo Clinic"
    language: str = "en"
    timezone: str = "UTC"
    var_dir: Path = PROJECT_ROOT / "var"
    cookie_secure: bool = False
    session_hours: int = 12
    api_token_days: int = 30
    ticket_link_hours: int = 24
    login_max_failures: int = 5
    login_window_s: int = 300
    default_consultation_min: int = 10
    # A doctor whose session started this long ago without opening their desk is late: the
    # plan gives their "any doctor" patients to the doctors who are working.
    desk_grace_min: int = Field(default=10, ge=0, le=240)
    notifier: Literal["console", "twilio", "smtp"] = "console"
    # Where trained no-show models live; None means var_dir / "models".
    model_dir: Path | None = None
    model_check_s: float = 60.0
    # Above 0, `clinic demo run --live`: play simulated days at this many clinic minutes a minute.
    demo_speed: float = Field(0.0, ge=0.0, le=600.0)

    @property
    def models_path(self) -> Path:
        """Return the no-show model registry directory."""
        return self.model_dir or self.var_dir / "models"

    @model_validator(mode="before")
    @classmethod
    def _public_url_from_the_port(cls, data: Any) -> Any:
        # Links in messages and the demo's banner follow CLINIC_HOST/CLINIC_PORT unless set.
        if isinstance(data, dict) and "public_url" not in data:
            host = str(data.get("host", cls.model_fields["host"].default))
            port = str(data.get("port", cls.model_fields["port"].default))
            if port.isdigit():
                return {**data, "public_url": public_url_for(host, int(port))}
        return data

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.mode == "production" and (
            self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError("production mode needs SECRET_KEY set to 32 or more random characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @cached_property
    def session_lifetime(self) -> timedelta:
        """Return how long a login cookie lives."""
        return timedelta(hours=self.session_hours)
