"""Patients on their own: sign-up codes, matching records, resets and invitations."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.actions import signup
from server.actions.codes import MAX_ATTEMPTS, count_attempt
from server.auth.actor import SYSTEM
from server.auth.sessions import session_user, start_session
from server.errors import DomainError
from server.models import AccountCode, AuditEvent, OutboxMessage, Patient, User
from server.notify.accounts import account_sender
from server.services import Services
from tests.conftest import T0
from tests.factories import make_patient

BORN = date(1985, 6, 15)


def person(**overrides: object) -> signup.SignUp:
    values: dict[str, object] = {
        "full_name": "Ana Lima",
        "date_of_birth": BORN,
        "phone": "+15550001111",
        "email": None,
        "password_hash": "hashed",
    }
    values.update(overrides)
    return signup.SignUp(**values)  # type: ignore[arg-type]


async def start(services: Services, who: signup.SignUp) -> str:
    send = account_sender(services.settings)
    key = services.settings.secret_key
    return await services.run(
        lambda s: signup.start_signup(s, signup=who, secret_key=key, now=T0, send=send)
    )


async def code_sent_to(services: Services, address: str, kind: str = "signup_code") -> str:
    body = await services.read(
        lambda s: s.scalar(
            select(OutboxMessage.body)
            .where(OutboxMessage.to_address == address, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    )
    assert body is not None, f"no {kind} message to {address}"
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None, body
    return found.group(1)


async def verify(services: Services, request_key: str, code: str) -> signup.Account:
    await services.run(lambda s: count_attempt(s, "signup", request_key))
    key = services.settings.secret_key
    return await services.run(
        lambda s: signup.verify_signup(
            s, request_key=request_key, code=code, secret_key=key, now=T0 + timedelta(minutes=2)
        )
    )


async def refusal(work: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await work  # type: ignore[misc]
    return caught.value


async def patients(services: Services) -> int:
    return int(await services.read(lambda s: s.scalar(select(func.count(Patient.id)))) or 0)


async def test_a_sign_up_is_finished_by_the_code_from_the_outbox_and_makes_one_record(
    services: Services,
) -> None:
    request_key = await start(services, person())
    code = await code_sent_to(services, "+15550001111")
    stored = await services.read(lambda s: s.scalar(select(AccountCode)))
    assert (
        stored is not None and code not in stored.code_hash and request_key != stored.request_hash
    )

    account = await verify(services, request_key, code)

    assert account.user.username == "+15550001111" and account.patient.user_id == account.user.id
    assert account.patient.full_name == "Ana Lima" and await patients(services) == 1
    actions = await services.read(lambda s: s.scalars(select(AuditEvent.action)))
    assert {"account.signup", "account.verify", "patient.create"} <= set(actions)


async def test_a_code_works_once(services: Services) -> None:
    request_key = await start(services, person())
    code = await code_sent_to(services, "+15550001111")
    await verify(services, request_key, code)
    again = await refusal(verify(services, request_key, code))
    assert again.code == "CODE_EXPIRED"


async def test_wrong_codes_run_out_and_then_even_the_right_one_is_refused(
    services: Services,
) -> None:
    request_key = await start(services, person())
    code = await code_sent_to(services, "+15550001111")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    lefts = []
    for _ in range(MAX_ATTEMPTS):
        error = await refusal(verify(services, request_key, wrong))
        lefts.append(error.details.get("attempts_left"))
    assert lefts[:-1] == [4, 3, 2, 1]
    assert (await refusal(verify(services, request_key, code))).code == "CODE_EXPIRED"
    assert await patients(services) == 0


async def test_an_expired_code_is_refused(services: Services) -> None:
    request_key = await start(services, person())
    code = await code_sent_to(services, "+15550001111")
    await services.run(lambda s: count_attempt(s, "signup", request_key))
    key = services.settings.secret_key
    late = T0 + timedelta(minutes=16)
    error = await refusal(
        services.run(
            lambda s: signup.verify_signup(
                s, request_key=request_key, code=code, secret_key=key, now=late
            )
        )
    )
    assert error.code == "CODE_EXPIRED"


async def test_the_record_the_desk_made_is_found_not_duplicated(services: Services) -> None:
    async with services.database() as db, db.begin():
        desk = await make_patient(
            db, full_name="ANA  LÍMA", date_of_birth=BORN, phone="+15550001111"
        )
    request_key = await start(services, person())
    account = await verify(services, request_key, await code_sent_to(services, "+15550001111"))
    assert account.patient.id == desk.id and await patients(services) == 1


async def test_a_second_sign_up_of_the_same_person_is_refused_without_a_second_record(
    services: Services,
) -> None:
    first = await start(services, person())
    await verify(services, first, await code_sent_to(services, "+15550001111"))
    second = await start(services, person(email="ana@example.org", channel="email"))
    error = await refusal(verify(services, second, await code_sent_to(services, "ana@example.org")))
    assert error.code == "ACCOUNT_EXISTS" and await patients(services) == 1


async def test_a_namesake_with_other_contacts_is_sent_to_the_desk(services: Services) -> None:
    async with services.database() as db, db.begin():
        await make_patient(db, full_name="Ana Lima", date_of_birth=BORN, phone="+15559999999")
    request_key = await start(services, person())
    error = await refusal(
        verify(services, request_key, await code_sent_to(services, "+15550001111"))
    )
    assert error.code == "ASK_THE_DESK" and await patients(services) == 1
    users = await services.read(lambda s: s.scalar(select(func.count(User.id))))
    assert users == 0


async def test_a_reset_code_sets_the_password_and_ends_every_login(services: Services) -> None:
    request_key = await start(services, person())
    account = await verify(services, request_key, await code_sent_to(services, "+15550001111"))
    user_id = account.user.id
    lifetime = timedelta(hours=1)
    old_login = await services.run(lambda s: start_session(s, user_id, T0, lifetime))
    send, key = account_sender(services.settings), services.settings.secret_key
    reset_key = await services.run(
        lambda s: signup.start_reset(s, login="+15550001111", secret_key=key, now=T0, send=send)
    )
    code = await code_sent_to(services, "+15550001111", "reset_code")
    await services.run(lambda s: count_attempt(s, "reset", reset_key))
    user = await services.run(
        lambda s: signup.confirm_reset(
            s, request_key=reset_key, code=code, password_hash="new-hash", secret_key=key, now=T0
        )
    )
    assert user.password_hash == "new-hash"
    assert await services.read(lambda s: session_user(s, old_login, T0)) is None


async def test_a_reset_for_nobody_answers_alike_and_sends_nothing(services: Services) -> None:
    send, key = account_sender(services.settings), services.settings.secret_key
    request_key = await services.run(
        lambda s: signup.start_reset(s, login="+15557777777", secret_key=key, now=T0, send=send)
    )
    assert request_key.startswith("ac_")
    sent = await services.read(lambda s: s.scalar(select(func.count(OutboxMessage.id))))
    assert sent == 0


async def test_an_invitation_is_claimed_once(services: Services) -> None:
    async with services.database() as db, db.begin():
        patient = await make_patient(db, phone="+15550002222")
    send, key = account_sender(services.settings), services.settings.secret_key
    links: list[str] = []

    def link_for(request_key: str) -> str:
        links.append(request_key)
        return f"http://clinic.test/claim/{request_key}"

    await services.run(
        lambda s: signup.invite_patient(
            s,
            SYSTEM,
            patient_id=patient.id,
            channel=None,
            now=T0,
            secret_key=key,
            link_for=link_for,
            send=send,
        )
    )
    body = await services.read(lambda s: s.scalar(select(OutboxMessage.body)))
    assert body is not None and links[0] in body
    account = await services.run(
        lambda s: signup.claim_invite(s, request_key=links[0], password_hash="h", now=T0)
    )
    assert account.patient.id == patient.id and account.user.username == "+15550002222"
    again = await refusal(
        services.run(
            lambda s: signup.claim_invite(s, request_key=links[0], password_hash="h", now=T0)
        )
    )
    assert again.code == "LINK_USED"


async def test_two_sign_ups_of_one_person_racing_leave_one_record_and_one_login(
    services: Services,
) -> None:
    first, second = await start(services, person()), await start(services, person())
    codes = await services.read(
        lambda s: s.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.kind == "signup_code")
            .order_by(OutboxMessage.id)
        )
    )
    found = [re.search(r"\b(\d{6})\b", body) for body in codes]
    one, two = (match.group(1) for match in found if match is not None)
    outcomes = await asyncio.gather(
        verify(services, first, one), verify(services, second, two), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1 and refused[0].code == "ACCOUNT_EXISTS", outcomes
    assert await patients(services) == 1
    users = await services.read(lambda s: s.scalar(select(func.count(User.id))))
    assert users == 1
