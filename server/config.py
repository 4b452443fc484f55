"""Typed settings for the clinic, read from environment variables."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.auth.addresses import Network, parse_networks
from server.auth.secret_key import DEFAULT_SECRET, SecretError, check, load_or_create

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)
__all__ = ["DEFAULT_SECRET", "PROJECT_ROOT", "Settings"]


LOCAL_HOSTS = frozenset({"", "127.0.0.1", "localhost", "::1", "0.0.0.0", "::"})


def public_url_for(host: str, port: int) -> str:
    """Return the URL a browser on this machine opens for a server on `host`:`port`."""
    name = "localhost" if host in LOCAL_HOSTS else host
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


class Settings(BaseSettings):
    """Everything the server, the workers and the CLI need to know."""

    # hide_input_in_errors: a refused SECRET_KEY must not be printed in the error.
    model_config = SettingsConfigDict(
        env_prefix="CLINIC_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    mode: Literal["development", "production", "test"] = "development"
    # Unset: a random secret kept in var_dir/secrets/secret_key (made on first start).
    secret_key: str = Field(
        "", validation_alias=AliasChoices("SECRET_KEY", "CLINIC_SECRET_KEY"), repr=False
    )
    # Unset: the SQLite file var_dir/clinic.sqlite3.
    database_url: str = Field(
        "", validation_alias=AliasChoices("DATABASE_URL", "CLINIC_DATABASE_URL")
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
    login_max_failures: int = 5  # per account and address
    login_account_max_failures: int = 20  # per account, from any address
    login_address_max_failures: int = 50  # per address, over any accounts
    login_window_s: int = 300
    # Proxies whose X-Forwarded-For is believed: "10.0.0.1, 10.1.0.0/16"; none by default.
    trusted_proxies: str = ""
    default_consultation_min: int = 10
    # How far ahead sessions can be opened and slots booked (CLINIC_BOOKING_HORIZON_DAYS).
    booking_horizon_days: int = Field(180, ge=1, le=3650)
    # The weekly rota creates sessions this many weeks ahead (nightly, and the admin's button).
    rota_weeks_ahead: int = Field(4, ge=1, le=52)
    # A booked patient's phone page says "check in at the desk from" this long before their time.
    check_in_early_min: int = Field(30, ge=0, le=240)
    # Self check-in (phone, kiosk): "I'm here" opens this long before the appointment time, and
    # a check-in more than CLINIC_CHECKIN_LATE_MIN after it is late (fitted in from arrival).
    checkin_late_min: int = Field(15, ge=0, le=240)
    # The waiting-room board's check-in code changes every this many seconds (the one before
    # is still accepted), and has this many digits.
    checkin_code_period_s: int = Field(300, ge=30, le=3600)
    checkin_code_digits: int = Field(4, ge=4, le=8)
    # Wrong codes per ticket, and per address, within CLINIC_LOGIN_WINDOW_S before 429.
    checkin_max_failures: int = Field(5, ge=1, le=100)
    # Kiosk look-ups per display within CLINIC_LOGIN_WINDOW_S (found or not) before 429.
    kiosk_max_lookups: int = Field(60, ge=1, le=10000)
    # A doctor whose session started this long ago without opening their desk is late: the
    # plan gives their "any doctor" patients to the doctors who are working.
    desk_grace_min: int = Field(default=10, ge=0, le=240)
    # The waitlist (docs/waitlist.md): how long an offered place is held for its patient, how
    # long before the slot an offer closes at the latest, and how many days a waitlist entry
    # without a day of its own covers.
    waitlist_hold_min: int = Field(120, ge=5, le=24 * 60)
    waitlist_notice_min: int = Field(30, ge=0, le=24 * 60)
    waitlist_days: int = Field(14, ge=1, le=180)
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

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value)
        return value

    @cached_property
    def proxy_networks(self) -> tuple[Network, ...]:
        """Return the trusted proxies as networks."""
        return parse_networks(self.trusted_proxies)

    @property
    def secrets_path(self) -> Path:
        """Return the owner-only folder of the generated signing secret."""
        return self.var_dir / "secrets"

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
    def _fill_defaults_under_var_dir(self) -> Settings:
        # Frozen settings: the defaults that depend on var_dir are filled in once, here.
        if not self.database_url:
            url = f"sqlite+aiosqlite:///{self.var_dir / 'clinic.sqlite3'}"
            object.__setattr__(self, "database_url", url)
        object.__setattr__(self, "secret_key", self._signing_secret())
        return self

    def _signing_secret(self) -> str:
        """Return the secret everything is signed with; never a known one outside tests."""
        if self.mode == "test":
            return self.secret_key or secrets.token_urlsafe(48)
        try:
            if self.secret_key:
                secret, source = check(self.secret_key, "SECRET_KEY"), "env"
            else:
                secret, source = load_or_create(self.secrets_path)
        except SecretError as error:
            raise ValueError(str(error)) from None
        where = "SECRET_KEY" if source == "env" else str(self.secrets_path / "secret_key")
        log.info("signing secret: %s (%s)", source, where)
        return secret

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def booking_horizon(self) -> timedelta:
        """Return how far ahead sessions and bookings may lie."""
        return timedelta(days=self.booking_horizon_days)

    @cached_property
    def session_lifetime(self) -> timedelta:
        """Return how long a login cookie lives."""
        return timedelta(hours=self.session_hours)
