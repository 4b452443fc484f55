"""The demo's start: the URL it prints, a busy port, its opening hours, setup without npm."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from server.cli import _print_logins
from server.config import PROJECT_ROOT, Settings
from server.demo import port_problem, session_window

CLINIC = str(Path(sys.executable).with_name("clinic"))


@pytest.fixture
def listening() -> Iterator[int]:
    """Yield a port that a server already listens on."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


@pytest.fixture
def no_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLINIC_PUBLIC_URL", "CLINIC_HOST", "CLINIC_PORT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_url")
@pytest.mark.parametrize(
    ("host", "url"),
    [
        (None, "http://localhost:5123"),
        ("0.0.0.0", "http://localhost:5123"),
        ("clinic.lan", "http://clinic.lan:5123"),
        ("fd00::7", "http://[fd00::7]:5123"),
    ],
)
def test_the_public_url_follows_the_host_and_port(
    host: str | None, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_PORT", "5123")
    if host is not None:
        monkeypatch.setenv("CLINIC_HOST", host)
    assert Settings().public_url == url


@pytest.mark.usefixtures("no_url")
def test_a_public_url_that_is_set_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINIC_PORT", "5123")
    monkeypatch.setenv("CLINIC_PUBLIC_URL", "https://clinic.example.org")
    assert Settings().public_url == "https://clinic.example.org"


@pytest.mark.usefixtures("no_url")
def test_the_banner_shows_the_port_the_demo_serves_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLINIC_PORT", "5123")
    _print_logins(Settings())
    printed = capsys.readouterr().out
    assert "is at http://localhost:5123" in printed
    assert "http://localhost:5123/board?key=" in printed and ":5000" not in printed


def test_a_busy_port_is_named_and_a_free_one_is_not(listening: int) -> None:
    problem = port_problem("127.0.0.1", listening)
    assert problem is not None and f"port {listening}" in problem and "in use" in problem
    assert f"CLINIC_PORT={listening + 1}" in problem
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    assert port_problem("127.0.0.1", free) is None


@pytest.mark.usefixtures("no_url")
def test_a_second_demo_stops_at_the_busy_port_in_one_line(listening: int, tmp_path: Path) -> None:
    database = tmp_path / "clinic.sqlite3"
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "CLINIC_VAR_DIR": str(tmp_path),
        "CLINIC_PORT": str(listening),
    }

    run = subprocess.run(
        [CLINIC, "demo", "run", "--live"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert run.returncode == 1
    assert run.stdout == ""  # no logins for a demo that does not start
    [line] = run.stderr.splitlines()
    assert f"port {listening}" in line and "in use" in line
    assert not database.exists()  # nor a migration


@pytest.mark.parametrize(
    ("now", "opens", "closes"),
    [
        (time(10, 20), time(8), time(17)),
        (time(7, 5), time(6), time(15)),
        (time(16, 30), time(15), time(0)),
        (time(22, 10), time(21), time(0)),
        (time(3, 0), time(2), time(11)),
    ],
)
def test_the_demo_keeps_normal_hours_and_is_open_when_started(
    now: time, opens: time, closes: time
) -> None:
    moment = datetime.combine(datetime(2030, 3, 4).date(), now, tzinfo=UTC)
    start, end = session_window(moment)
    assert (start.time(), end.time()) == (opens, closes)
    assert start.date() == moment.date() and start <= moment < end


def test_setup_says_what_to_install_when_npm_is_missing(tmp_path: Path) -> None:
    for name in ("scripts/setup.sh", "package-lock.json", "pyproject.toml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    tools = tmp_path / "bin"  # what the script needs, and no npm
    tools.mkdir()
    for tool in ("bash", "sha1sum", "cut", "dirname", "env"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)

    run = subprocess.run(
        ["bash", str(tmp_path / "scripts/setup.sh")],
        env={**os.environ, "PATH": str(tools)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert run.returncode == 1
    assert "npm is missing" in run.stderr and "apt-get install nodejs npm" in run.stderr
    assert not (tmp_path / ".venv").exists()  # said before minutes of pip, not after


@pytest.mark.usefixtures("no_url")
def test_serve_on_another_port_links_to_that_port(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import server.cli

    served: list[int] = []
    monkeypatch.setattr(server.cli.uvicorn, "run", lambda *_a, **kw: served.append(kw["port"]))

    result = CliRunner().invoke(server.cli.main, ["serve", "--port", "5124"])

    assert result.exit_code == 0 and served == [5124]
    assert Settings().public_url == "http://localhost:5124"  # what the served app reads
