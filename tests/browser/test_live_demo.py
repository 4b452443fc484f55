"""A live demo day moves the TV board by itself: calls come and go with no click."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect

from server.config import PROJECT_ROOT
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.screens import BOARD_KEY, board_department
from tests.browser.server import CLINIC, ServerProcess

pytestmark = pytest.mark.browser

SPEED = "300"  # five clinic hours a minute: the first calls come within seconds
WAIT_MS = 60_000  # the day's bookings are made first; the machine may be busy


@pytest.fixture
def live_demo(tmp_path: Path) -> Iterator[ServerProcess]:
    """Yield `clinic serve` on a demo clinic whose days the live player plays."""
    process = ServerProcess(tmp_path)
    process.env["CLINIC_DEMO_SPEED"] = SPEED
    for command in (["db", "upgrade"], ["demo", "seed", "--live"]):
        subprocess.run(
            [CLINIC, *command], env=process.env, cwd=PROJECT_ROOT, check=True, capture_output=True
        )
    process.start(timeout=180)  # imports alone take half a minute on a loaded machine
    yield process
    process.stop()


def test_the_board_changes_with_no_click(
    live_demo: ServerProcess, playwright: Playwright, tmp_path: Path
) -> None:
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1600, "height": 900},
    )
    board = context.pages[0] if context.pages else context.new_page()
    board.goto(f"{live_demo.url}/board?key={BOARD_KEY}")
    expect(board_department(board)).to_be_visible()
    calls = board.locator("section.department .calls .call")

    expect(calls.first).to_be_visible(timeout=WAIT_MS)  # someone was called
    first = calls.all_inner_texts()
    # ... and then the board moves on: other tokens are called, nobody touching anything
    board.wait_for_function(
        "seen => [...document.querySelectorAll('section.department .calls .call')]"
        ".map(e => e.innerText).join('|') !== seen",
        arg="|".join(first),
        timeout=WAIT_MS,
    )
    assert calls.all_inner_texts() != first
    context.close()
