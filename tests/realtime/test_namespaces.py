"""Who may connect to which namespace, and what each audience is shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from socketio.exceptions import ConnectionError as SocketRefused
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from server.models import Guardianship, Patient, Ticket
from server.realtime import auth as who
from server.realtime.namespaces import BoardNamespace
from tests.conftest import T0
from tests.realtime.conftest import ClinicDay, LiveServer, Screen

MakeScreen = Callable[[str], Screen]


async def refused(screen: Screen, url: str, auth: dict[str, object] | None) -> str:
    """Connect expecting a refusal; return its code."""
    with pytest.raises(SocketRefused):
        await screen.connect(url, auth)
    assert screen.refusal is not None
    return str(screen.refusal["code"])


async def test_board_with_its_key_gets_its_department_without_names(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    board = screens("/board")
    await board.connect(live_server.url, {"key": clinic_day.display_key})
    hello, [snapshot] = await board.join()
    assert hello["rooms"] == [f"department:{clinic_day.department_id}"]
    assert hello["display"]["language"] == "en"
    assert snapshot["data"]["waiting"] == 2
    assert "Patient" not in repr(snapshot) and "MRN" not in repr(snapshot)


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (None, "AUTH_REQUIRED"),
        ({"key": "dk_wrong"}, "DISPLAY_KEY_INVALID"),
        ({"key": 5}, "AUTH_REQUIRED"),
        ({"key": "x", "departments": "all"}, "BAD_REQUEST"),
    ],
)
async def test_board_without_a_valid_key_is_refused(
    live_server: LiveServer,
    clinic_day: ClinicDay,
    screens: MakeScreen,
    auth: dict[str, object] | None,
    code: str,
) -> None:
    assert await refused(screens("/board"), live_server.url, auth) == code


async def test_console_shows_the_doctor_their_department_with_names(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    console = screens("/console")
    await console.connect(live_server.url, {"token": clinic_day.doctor_token})
    hello, [snapshot] = await console.join()
    assert hello["user"]["doctor_id"] == clinic_day.doctor_id
    assert all(t["patient"]["name"].startswith("Patient") for t in snapshot["data"]["tickets"])


async def test_a_patient_cannot_watch_the_console_or_the_desk(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    token = clinic_day.patient_tokens[0]
    assert await refused(screens("/console"), live_server.url, {"token": token}) == "FORBIDDEN"
    assert await refused(screens("/desk"), live_server.url, {"token": token}) == "FORBIDDEN"


async def test_a_bad_token_is_refused(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    assert await refused(screens("/desk"), live_server.url, {"token": "cq_nope"}) == (
        "TOKEN_INVALID"
    )


async def test_a_patient_sees_their_own_ticket_but_not_anothers(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    mine, theirs = clinic_day.tickets
    token = clinic_day.patient_tokens[0]
    phone = screens("/patient")
    await phone.connect(live_server.url, {"token": token, "ticket_id": mine})
    _hello, [snapshot] = await phone.join()
    assert snapshot["data"]["ticket"]["position"] == 1
    other = screens("/patient")
    code = await refused(other, live_server.url, {"token": token, "ticket_id": theirs})
    assert code == "FORBIDDEN"


REFUSAL_CLASSES = [
    Malformed,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    Invalid,
    RateLimited,
    Unavailable,
]


@pytest.mark.parametrize("cls", REFUSAL_CLASSES)
def test_each_domain_refusal_reaches_a_socket_as_its_code_and_message(
    cls: type[DomainError],
) -> None:
    refused_with = who.refusal(cls("SOME_CODE", "a message", {"ticket_id": 7}))
    assert refused_with.error_args == {
        "message": "a message",
        "data": {"code": "SOME_CODE", "message": "a message"},
    }


def test_a_bug_reaches_a_socket_as_unavailable_without_its_text() -> None:
    refused_with = who.refusal(RuntimeError("secret internals"))
    assert refused_with.error_args["data"]["code"] == "UNAVAILABLE"
    assert "secret" not in repr(refused_with.error_args)


async def test_a_refusal_raised_while_admitting_is_the_clients_connect_error(
    live_server: LiveServer,
    clinic_day: ClinicDay,
    screens: MakeScreen,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def full(*_: object) -> None:
        raise Conflict("BOARD_FULL", "no room for another board")

    monkeypatch.setattr(BoardNamespace, "admit", full)
    assert await refused(screens("/board"), live_server.url, {"key": "any"}) == "BOARD_FULL"


async def test_a_guardian_follows_a_dependants_ticket(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    mine, childs = clinic_day.tickets

    async def hold(db: AsyncSession) -> None:
        own = await db.get_one(Ticket, mine)
        child = await db.get_one(Ticket, childs)
        parent = await db.get_one(Patient, own.appointment.patient_id)
        assert parent.user_id is not None
        db.add(
            Guardianship(
                user_id=parent.user_id, patient_id=child.appointment.patient_id, created_at=T0
            )
        )

    await live_server.services.run(hold)
    phone = screens("/patient")
    await phone.connect(
        live_server.url, {"token": clinic_day.patient_tokens[0], "ticket_id": childs}
    )
    _hello, [snapshot] = await phone.join()
    assert snapshot["data"]["ticket"]["ticket_id"] == childs
