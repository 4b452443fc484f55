"""Settings of the worker processes, from CLINIC_WORKER_* environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Queue = Literal["live", "nightly"]


class WorkerConfig(BaseSettings):
    """How a worker holds its runs, rides out Redis outages and tells a supervisor it lives."""

    model_config = SettingsConfigDict(env_prefix="CLINIC_WORKER_", extra="ignore", frozen=True)

    # A re-plan's or delivery run's lease; a killed worker's runs are taken over this much later.
    lease_s: float = Field(5.0, gt=0.3, le=300)
    # Waits between attempts to reach Redis again: doubling from the first, up to the last.
    reconnect_min_s: float = Field(0.5, gt=0)
    reconnect_max_s: float = Field(4.0, gt=0)
    # GET http://<health_host>:<health_port>/health answers for this worker (0: no HTTP port).
    health_port: int = Field(0, ge=0, le=65535)
    health_host: str = "127.0.0.1"
    # The worker is unhealthy when its loop has not come round for this long.
    stale_s: float = Field(30.0, gt=0)
