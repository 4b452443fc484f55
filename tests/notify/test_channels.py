"""Choosing channels from settings, templates per language, addresses refused at entry."""

from __future__ import annotations

import logging

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.models import Role
from server.notify.channels import ConsoleTransport, SmtpEmail, TwilioSms, make_transports
from server.notify.render import Renderer, languages
from server.notify.settings import NotifySettings
from tests.conftest import T0
from tests.factories import make_token, make_user
from tests.notify.conftest import Clinic


def test_the_console_is_the_default_for_every_channel() -> None:
    transports = make_transports(Settings(), NotifySettings())
    assert all(isinstance(t, ConsoleTransport) for t in transports.values())


def test_twilio_without_credentials_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="CLINIC_NOTIFY_TWILIO_ACCOUNT_SID"):
        make_transports(Settings(notifier="twilio"), NotifySettings())


def test_each_configured_provider_gets_its_channel(notify_config: NotifySettings) -> None:
    transports = make_transports(Settings(notifier="smtp"), notify_config)
    assert isinstance(transports["sms"], TwilioSms)
    assert isinstance(transports["email"], SmtpEmail)
    email_only = notify_config.model_copy(update={"twilio_account_sid": ""})
    assert isinstance(
        make_transports(Settings(notifier="smtp"), email_only)["sms"], ConsoleTransport
    )


def test_messages_come_in_english_portuguese_and_spanish() -> None:
    assert {"en", "pt", "es"} <= set(languages())
    facts = {"clinic": "Clínica", "token": "G-007", "link": "http://x/t/1", "ahead": 2}
    assert "2 patients ahead of you" in Renderer("en", "UTC").render("ahead", **facts).body
    assert "2 pacientes à sua frente" in Renderer("pt-BR", "UTC").render("ahead", **facts).body
    assert Renderer("pt", "Europe/Lisbon").when(T0) == "04/03/2030 09:00"
    assert "2 pacientes delante de usted" in Renderer("es", "UTC").render("ahead", **facts).body
    with pytest.raises(ValueError, match="no message templates"):
        Renderer("xx", "UTC")


def test_a_patients_language_picks_the_template_and_the_date_format() -> None:
    clinic = Renderer("en", "UTC")  # the clinic writes English; each patient reads their own
    facts = {"clinic": "Clínica", "token": "G-007", "room": "Sala 2"}
    assert "dirija-se agora a Sala 2" in clinic.render("called", "pt-BR", **facts).body
    assert "pase ahora a Sala 2" in clinic.render("called", "es", **facts).body
    assert "please go to Sala 2" in clinic.render("called", "xx", **facts).body  # none: clinic's
    assert clinic.when(T0, "es") == "04/03/2030 09:00"
    assert clinic.when(T0, None) == "Mon 2030-03-04 09:00"


async def test_the_console_channel_logs_the_message(
    clinic: Clinic, notify_config: NotifySettings, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = clinic.notify
    runtime.configure(notify_config)
    runtime._transports = {"sms": ConsoleTransport(), "email": ConsoleTransport()}
    with caplog.at_level(logging.INFO, logger="server.notify.channels"):
        ticket = await clinic.book(await clinic.patient(phone="+15551212000"))
        await clinic.settle()
    assert any("+15551212000" in r.message and ticket.token in r.message for r in caplog.records)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [("phone", "555-0100", "E.164"), ("email", "not-an-address", "email")],
)
async def test_a_bad_phone_or_email_is_refused_at_entry(
    clinic: Clinic, client: Client, field: str, value: str, problem: str
) -> None:
    async def staff_token(s: AsyncSession) -> str:
        return await make_token(s, await make_user(s, Role.STAFF))

    headers = {"Authorization": f"Bearer {await clinic.run(staff_token)}"}
    patient = {"full_name": "Ana Lima", "date_of_birth": "1990-05-01", "sex": "F", field: value}
    response = await client.post("/api/patients", json=patient, headers=headers)

    assert response.status_code == 400
    body = await response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    [error] = body["details"]["errors"]
    assert error["field"] == field and problem in error["problem"]
