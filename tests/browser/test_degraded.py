"""With Redis gone, the TV board and the console say "degraded", keep working, and recover."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.auth.redis_process import RedisProcess
from tests.browser.conftest import OpenPage
from tests.browser.screens import BOARD_KEY, board_calls, board_department
from tests.browser.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    """Run a redis-server of this test's own, which it may kill."""
    redis = RedisProcess()
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def server(tmp_path: Path, demo_database: Path, own_redis: RedisProcess) -> Iterator[ServerProcess]:
    """Yield `clinic serve` on the demo clinic, scaled mode: on the test's own Redis."""
    process = ServerProcess(tmp_path)
    process.env["REDIS_URL"] = own_redis.url
    process.copy_database(demo_database)
    process.start()
    yield process
    process.stop()


def test_the_board_and_the_console_show_degraded_while_redis_is_down(
    open_page: OpenPage, own_redis: RedisProcess, api_as: Callable[[str], httpx.Client]
) -> None:
    board = open_page(f"/board?key={BOARD_KEY}")
    console = open_page("/console", user="doctor")
    doctor = api_as("doctor")
    expect(board_department(board)).to_be_visible()
    expect(console.locator("#live-status")).to_have_attribute("data-state", "online")
    expect(board.locator("#degraded")).to_be_hidden()

    own_redis.kill()

    banner = board.locator("#degraded")
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Updates may be delayed · this screen catches up by itself")
    expect(board.locator("#offline")).to_be_hidden()  # not offline: numbers still come
    expect(console.locator("#live-status")).to_have_attribute("data-state", "degraded")
    # This server's calls still reach its board.
    called = doctor.post("/api/doctors/1/call-next")
    called.raise_for_status()
    expect(board_calls(board)).to_contain_text([called.json()["token"]])

    own_redis.start()

    expect(banner).to_be_hidden()
    expect(console.locator("#live-status")).to_have_attribute("data-state", "online")
    expect(board_calls(board)).to_contain_text([called.json()["token"]])
