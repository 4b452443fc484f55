"""Where messages go: the log, Twilio SMS, or SMTP e-mail; errors sorted into retry or give up."""

from __future__ import annotations

import hashlib
import logging
import re
from email.message import EmailMessage
from typing import Any, Protocol

import aiohttp
import aiosmtplib
from email_validator import EmailNotValidError, validate_email
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from server.config import Settings
from server.models.outbox import OutboxMessage
from server.notify.settings import NotifySettings

log = logging.getLogger(__name__)
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TWILIO_API = "https://api.twilio.com"


class TransientError(Exception):
    """The provider may take the message later: retry with backoff."""


class PermanentError(Exception):
    """The provider will never take this message (bad address, refused): give up on it."""


class Transport(Protocol):
    """Sends one message; returns the provider's id for it."""

    async def send(self, message: OutboxMessage) -> str | None:
        """Hand the message to the provider; raise TransientError or PermanentError."""

    async def close(self) -> None:
        """Release connections."""


def check_address(channel: str, address: str) -> None:
    """Refuse an address the channel can never deliver to."""
    if channel == "sms" and not E164.match(address):
        raise PermanentError(f"not an E.164 phone number: {address!r}")
    if channel == "email":
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            raise PermanentError(f"not an e-mail address: {address!r} ({exc})") from None


class ConsoleTransport:
    """Write messages to the log (the embedded default)."""

    async def send(self, message: OutboxMessage) -> str | None:
        """Log the message as it would have been sent."""
        log.info("[%s to %s] %s", message.channel, message.to_address, message.body)
        return None

    async def close(self) -> None:
        """Nothing to release."""


class RebasedTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Twilio's async HTTP client, sending to another base URL (a local fake, a proxy)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Send the request to the base URL instead of api.twilio.com."""
        if url.startswith(TWILIO_API):
            url = self.base_url + url.removeprefix(TWILIO_API)
        return await super().request(method, url, *args, **kwargs)


class TwilioSms:
    """Send SMS through Twilio's REST API with one client per process, made in its loop."""

    def __init__(self, config: NotifySettings) -> None:
        if not (config.twilio_account_sid and config.twilio_auth_token and config.twilio_from):
            raise ValueError(
                "SMS through Twilio needs CLINIC_NOTIFY_TWILIO_ACCOUNT_SID, "
                "CLINIC_NOTIFY_TWILIO_AUTH_TOKEN and CLINIC_NOTIFY_TWILIO_FROM"
            )
        self.config = config
        self._http: Any = None
        self._client: Any = None

    def client(self) -> Any:
        """Return the Twilio client, creating it (and its aiohttp session) in the running loop."""
        if self._client is None:
            self._http = RebasedTwilioHttpClient(self.config.twilio_api_base)
            self._client = Client(
                self.config.twilio_account_sid,
                self.config.twilio_auth_token,
                http_client=self._http,
            )
        return self._client

    async def send(self, message: OutboxMessage) -> str | None:
        """Create the message at Twilio; 5xx, 429 and network trouble are transient."""
        try:
            created = await self.client().messages.create_async(
                to=message.to_address, from_=self.config.twilio_from, body=message.body
            )
        except TwilioRestException as exc:
            reason = f"twilio {exc.status} code {exc.code}: {exc.msg}"
            if exc.status >= 500 or exc.status == 429:
                raise TransientError(reason) from None
            raise PermanentError(reason) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"twilio unreachable: {exc!r}") from None
        return str(created.sid)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = self._client = None


def email_of(message: OutboxMessage, sender: str) -> EmailMessage:
    """Build the e-mail; its Message-ID comes from the idempotency key, so copies are spotted."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    digest = hashlib.sha256(message.idem_key.encode()).hexdigest()[:32]
    email["Message-ID"] = f"<{digest}@{sender.rpartition('@')[2] or 'clinic'}>"
    email.set_content(message.body)
    return email


class SmtpEmail:
    """Send e-mail through an SMTP relay."""

    def __init__(self, config: NotifySettings) -> None:
        if not config.smtp_host:
            raise ValueError("e-mail through SMTP needs CLINIC_NOTIFY_SMTP_HOST")
        self.config = config

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver to the relay; 5xx refusals are permanent, the rest transient."""
        config, email = self.config, email_of(message, self.config.smtp_from)
        try:
            await aiosmtplib.send(
                email,
                hostname=config.smtp_host,
                port=config.smtp_port,
                username=config.smtp_user or None,
                password=config.smtp_password or None,
                start_tls=config.smtp_starttls,
                timeout=config.send_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"smtp refused the recipient: {exc}") from None
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise PermanentError(f"smtp {exc.code}: {exc.message}") from None
            raise TransientError(f"smtp {exc.code}: {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransientError(f"smtp unreachable: {exc!r}") from None
        return str(email["Message-ID"])

    async def close(self) -> None:
        """Each message uses its own connection: nothing to release."""


def make_transports(settings: Settings, config: NotifySettings) -> dict[str, Transport]:
    """Pick a transport per channel: Settings.notifier's, plus the other one if configured."""
    console = ConsoleTransport()
    if settings.notifier == "console":
        return {"sms": console, "email": console}
    twilio_on = settings.notifier == "twilio" or bool(config.twilio_account_sid)
    smtp_on = settings.notifier == "smtp" or bool(config.smtp_host)
    return {
        "sms": TwilioSms(config) if twilio_on else console,
        "email": SmtpEmail(config) if smtp_on else console,
    }
