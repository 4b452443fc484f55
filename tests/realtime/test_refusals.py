"""Every refusal a screen can meet on connecting is in the list the browser stops on."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace

import itsdangerous
import pytest
from socketio.exceptions import ConnectionError as SocketRefused

from server.auth.secrets import sign_ticket
from server.realtime.auth import UNAVAILABLE
from server.realtime.refusals import FINAL_REFUSALS
from tests.realtime.conftest import ClinicDay, LiveServer, Screen

MakeScreen = Callable[[str], Screen]
UNKNOWN = 999_999


def expired_link(secret_key: str, ticket_id: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """Sign a link as if it had been sent a year ago."""
    year_ago = time.time() - 365 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: year_ago))
        return sign_ticket(secret_key, ticket_id)


def attempts(
    day: ClinicDay, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, dict[str, object] | None, str]]:
    """(namespace, auth, the code it is refused with): one or more per final refusal."""
    patient = day.patient_tokens[0]
    secret = server.services.settings.secret_key
    return [
        ("/board", None, "AUTH_REQUIRED"),
        ("/board", {"key": "dk_wrong"}, "DISPLAY_KEY_INVALID"),
        ("/board", {"key": day.display_key, "departments": "all"}, "BAD_REQUEST"),
        ("/desk", {"token": "cq_nope"}, "TOKEN_INVALID"),
        ("/console", {"token": patient}, "FORBIDDEN"),
        ("/console", {"token": day.doctor_token, "department_id": UNKNOWN}, "DEPARTMENT_NOT_FOUND"),
        ("/patient", {"token": patient, "ticket_id": UNKNOWN}, "TICKET_NOT_FOUND"),
        ("/patient", {"link": "not-a-link"}, "LINK_INVALID"),
        ("/patient", {"link": expired_link(secret, day.tickets[0], monkeypatch)}, "LINK_EXPIRED"),
    ]


async def test_each_final_refusal_is_one_a_screen_meets_and_stops_on(
    live_server: LiveServer,
    clinic_day: ClinicDay,
    screens: MakeScreen,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    met = set()
    for namespace, auth, code in attempts(clinic_day, live_server, monkeypatch):
        screen = screens(namespace)
        with pytest.raises(SocketRefused):
            await screen.connect(live_server.url, auth)
        assert screen.refusal is not None
        assert screen.refusal["code"] == code, (namespace, auth)
        met.add(code)
    # The browser's list is exactly the refusals retrying cannot fix: none missing, none stale.
    assert met == FINAL_REFUSALS


def test_a_busy_server_is_not_a_final_refusal() -> None:
    assert UNAVAILABLE.code not in FINAL_REFUSALS
