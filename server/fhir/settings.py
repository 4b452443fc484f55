"""Settings of the FHIR endpoint's notifications, from CLINIC_FHIR_* environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FhirSettings(BaseSettings):
    """How subscriptions are delivered: attempts, backoff, timeouts, how often retries run."""

    model_config = SettingsConfigDict(env_prefix="CLINIC_FHIR_", extra="ignore", frozen=True)

    max_attempts: int = Field(8, ge=1)
    backoff_base_s: float = Field(30.0, gt=0)
    backoff_max_s: float = Field(3600.0, gt=0)
    send_timeout_s: float = Field(10.0, gt=0)
    # Every server process asks for a delivery run this often, so retries go out when due.
    retry_interval_s: float = Field(30.0, gt=0)
    # A process re-reads the active subscriptions this often (others' changes show up within it).
    subscription_cache_s: float = Field(5.0, ge=0)
    max_subscriptions: int = Field(50, ge=1)
