"""The link in a message opens that patient's ticket only, and stops working when it expires."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import itsdangerous.timed
import pytest

from server.api.errors import http_status
from server.auth.secrets import read_ticket_link
from server.errors import DomainError
from tests.conftest import TEST_SECRET
from tests.notify.conftest import Clinic
from tests.notify.fake_twilio import FakeTwilio

LINK = re.compile(r"http://clinic\.test/t/(\S+)")


async def link_in_sms(clinic: Clinic, fake_twilio: FakeTwilio, phone: str) -> str:
    [body] = [m["Body"] for m in fake_twilio.messages if m["To"] == phone]
    found = LINK.search(body)
    assert found is not None
    return found.group(1)


async def test_each_patients_link_opens_their_own_ticket_only(
    clinic: Clinic, fake_twilio: FakeTwilio
) -> None:
    mine = await clinic.book(await clinic.patient(phone="+15558880001"))
    theirs = await clinic.book(await clinic.patient(phone="+15558880002"), at_minutes=15)
    await clinic.settle()
    hours = clinic.services.settings.ticket_link_hours * 3600

    link = await link_in_sms(clinic, fake_twilio, "+15558880001")
    assert read_ticket_link(TEST_SECRET, link, hours) == mine.id
    other = await link_in_sms(clinic, fake_twilio, "+15558880002")
    assert read_ticket_link(TEST_SECRET, other, hours) == theirs.id
    with pytest.raises(DomainError) as tampered:
        read_ticket_link(TEST_SECRET, link[:-2] + ("AA" if link[-2:] != "AA" else "BB"), hours)
    assert tampered.value.code == "LINK_INVALID"
    with pytest.raises(DomainError):
        read_ticket_link("another-clinic-secret-key-0123456789abcdef", link, hours)


async def test_the_link_expires(
    clinic: Clinic, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    await clinic.book(await clinic.patient(phone="+15558880003"))
    await clinic.settle()
    link = await link_in_sms(clinic, fake_twilio, "+15558880003")
    hours = clinic.services.settings.ticket_link_hours * 3600

    later = time.time() + hours + 60
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(DomainError) as expired:
        read_ticket_link(TEST_SECRET, link, hours)
    assert http_status(expired.value) == 401
    assert expired.value.code == "LINK_EXPIRED"
