"""Browser fixtures: a real server on a demo clinic, Debian's headless chromium, logged-in pages."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)

from tests.browser.server import ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {
    "admin": "demo-admin-pass",
    "doctor": "demo-doctor-pass",
    "nurse": "demo-nurse-pass",
    "staff": "demo-staff-pass",
    "patient": "demo-patient-pass",
}
TIMEOUT_MS = 10_000

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: apt-get install -y chromium (never playwright install)",
        allow_module_level=True,
    )

OpenPage = Callable[..., Page]
# The machine may be busy (2 cores, other suites): wait for screens longer than the default 5 s.
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a migrated SQLite file holding the demo clinic, made once per run."""
    seeder = ServerProcess(tmp_path_factory.mktemp("demo"))
    seeder.seed()
    return seeder.database


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test itself failed, for the server's teardown."""
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture
def server(
    request: pytest.FixtureRequest, tmp_path: Path, demo_database: Path
) -> Iterator[ServerProcess]:
    """Yield a running `clinic serve` on a fresh copy of the demo clinic."""
    process = ServerProcess(tmp_path)
    process.copy_database(demo_database)
    process.start()
    yield process
    if request.node.stash.get(FAILED, False):
        # What the server was doing when the test gave up: shown with the failure.
        print(process.diagnose())
    process.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Yield the Playwright driver (it drives the system chromium; it downloads nothing)."""
    # Module scope: its event loop must be gone before other suites' fixtures call asyncio.run.
    with sync_playwright() as driver:
        yield driver


def watch(page: Page, seen: list[str]) -> None:
    """Note what went wrong in `page`: failed API answers, failed requests, script errors."""

    def answered(response: Response) -> None:
        if response.status >= 400:
            request = response.request
            seen.append(f"{request.method} {response.url} -> {response.status}")

    def logged(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(f"{page.url}: console error: {message.text}")

    page.on("response", answered)
    page.on("requestfailed", lambda r: seen.append(f"{r.method} {r.url} failed: {r.failure}"))
    page.on("pageerror", lambda error: seen.append(f"{page.url}: script error {error}"))
    page.on("console", logged)


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest,
    playwright: Playwright,
    server: ServerProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OpenPage]:
    """Yield open_page(path, user=None): a page in its own fresh profile, logged in as `user`."""
    contexts: list[BrowserContext] = []
    seen: list[str] = []

    def open_(path: str, user: str | None = None, width: int = 1600, height: int = 900) -> Page:
        profile = tmp_path_factory.mktemp("chromium-profile")
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": width, "height": height},
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        watch(page, seen)
        if user is not None:
            login(page, server.url, user, path)
        else:
            page.goto(server.url + path)
        return page

    yield open_
    if request.node.stash.get(FAILED, False):
        print("--- what the pages met ---", *seen, sep="\n")
    for context in contexts:
        context.close()


def login(page: Page, base: str, user: str, path: str) -> None:
    """Log in through the login form and land on `path`."""
    page.goto(f"{base}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("#login-submit")
    page.wait_for_url(f"{base}{path}")


@pytest.fixture
def api_as(server: ServerProcess) -> Iterator[Callable[[str], httpx.Client]]:
    """Yield api_as(user): an HTTP client logged in as a demo user, sending the CSRF header."""
    clients: list[httpx.Client] = []

    def client_for(user: str) -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=10)
        login = {"username": user, "password": PASSWORDS[user]}
        answer = client.post("/api/auth/login", json=login)
        answer.raise_for_status()
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        clients.append(client)
        return client

    yield client_for
    for client in clients:
        client.close()
