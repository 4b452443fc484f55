"""A join always gets an answer: snapshots, or an error saying to ask again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.realtime.conftest import ClinicDay, LiveServer, Screen

MakeScreen = Callable[[str], Screen]


async def test_a_join_the_server_cannot_answer_gets_an_error_and_a_retry_works(
    live_server: LiveServer,
    clinic_day: ClinicDay,
    screens: MakeScreen,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = live_server.runtime.realtime.live
    working = live.snapshot

    async def failing(*_args: Any) -> Any:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(live, "snapshot", failing)
    board = screens("/board")
    await board.connect(live_server.url, {"key": clinic_day.display_key})
    await board.client.emit("join", namespace="/board")
    error = await board.next("error")
    assert error == {
        "code": "UNAVAILABLE",
        "message": "the server is busy; trying again shortly",
        "event": "join",
    }

    monkeypatch.setattr(live, "snapshot", working)
    hello, [snapshot] = await board.join()
    assert hello["status"] == {"state": "live"}
    assert snapshot["room"] == f"department:{clinic_day.department_id}"
