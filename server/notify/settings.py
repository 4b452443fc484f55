"""Settings of the notifications: providers, reminders, quiet hours, retries."""

from __future__ import annotations

from datetime import time

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    """Everything about sending messages, from CLINIC_NOTIFY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="CLINIC_NOTIFY_", extra="ignore", frozen=True)

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    # Tests and benchmarks point the Twilio client at a local fake of its REST API.
    twilio_api_base: str = "https://api.twilio.com"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_from: str = "clinic@localhost"
    reminder_leads_min: list[int] = Field(default_factory=lambda: [24 * 60, 120])
    quiet_start: time = time(21, 0)  # clinic-local; reminders wait until quiet_end
    quiet_end: time = time(8, 0)
    ahead_threshold: int = Field(3, ge=0)  # "N patients ahead of you" once N or fewer remain
    delay_notice_min: float = Field(5.0, ge=0)  # an emergency must add this much to notify
    # A re-plan must move a patient's expected time this much later for "your turn moved".
    moved_notice_min: float = Field(15.0, ge=0)
    # "Please come now" to a patient who checked in from their phone, once this few are ahead.
    come_now_ahead: int = Field(2, ge=0)
    max_attempts: int = Field(6, ge=1)
    backoff_base_s: float = Field(30.0, gt=0)
    backoff_max_s: float = Field(3600.0, gt=0)
    # A claim not renewed for this long (its sender died) is taken over by another worker.
    lease_s: float = Field(15.0, gt=0)
    send_timeout_s: float = Field(10.0, gt=0)
    batch_size: int = Field(200, ge=1)
    concurrency: int = Field(50, ge=1)
    scheduler_interval_s: float = Field(30.0, gt=0)
