"""Pages run under the Content-Security-Policy without a violation; login stays on this site."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import PASSWORDS, OpenPage

pytestmark = pytest.mark.browser


def watch_csp(page: Page) -> list[str]:
    """Collect the page's Content-Security-Policy violations from then on."""
    seen: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen.append(message.text)

    page.on("console", note)
    return seen


@pytest.mark.parametrize(
    ("path", "user", "ready"),
    [
        ("/console", "doctor", "#console"),
        ("/desk", "nurse", "#desk"),
        ("/admin", "admin", "main"),
        ("/book", "patient", "main"),
    ],
)
def test_each_screen_runs_without_a_csp_violation(
    open_page: OpenPage, path: str, user: str, ready: str
) -> None:
    page = open_page(path, user=user)
    # Reload only a page that has finished starting: a reload in the middle of its module
    # scripts' first fetches was seen to leave chromium's new page idle, with nothing asked.
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    seen = watch_csp(page)
    page.reload()
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_timeout(500)  # let late scripts (sockets, charts) run; not an assertion
    assert seen == []


def test_the_board_runs_without_a_csp_violation(open_page: OpenPage) -> None:
    page = open_page("/board?key=dk_demo-waiting-room-board")
    seen = watch_csp(page)
    page.reload()
    expect(page.locator("body")).to_be_visible()
    page.wait_for_timeout(500)
    assert seen == []


def test_the_api_docs_render_under_the_csp(open_page: OpenPage) -> None:
    page = open_page("/api/docs")
    seen = watch_csp(page)
    page.reload()
    expect(page.locator(".swagger-ui .information-container")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert seen == []


@pytest.mark.parametrize("target", ["/\\evil.example/x", "/%5Cevil.example/x", "//evil.example"])
def test_login_never_leaves_the_site(open_page: OpenPage, target: str) -> None:
    page = open_page("/login")
    page.goto(page.url.split("/login")[0] + "/login?next=" + target)
    page.fill("#username", "nurse")
    page.fill("#password", PASSWORDS["nurse"])
    page.click("#login-submit")
    page.wait_for_url("**/desk")


def test_the_login_script_refuses_other_sites_itself(open_page: OpenPage) -> None:
    page = open_page("/login")
    verdicts = page.evaluate(
        """async (cases) => {
             const login = await import('/static/js/login.js');
             return cases.map((c) => login.safeNext(c));
           }""",
        ["/\\evil.example/x", "/%5Cevil", "//evil", "https://evil", "/\t/evil", "/desk?x=1"],
    )
    assert verdicts == [None, None, None, None, None, "/desk?x=1"]
