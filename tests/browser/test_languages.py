"""The interface in another language: the switch, the console's texts and toasts, the board's
words and spoken calls."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.browser.screens import BOARD_KEY, board_calls, board_department

pytestmark = pytest.mark.browser

# The board's speech, caught: headless chromium has no voices to hear.
CATCH_SPEECH = """
window.spoken = [];
window.speechSynthesis.speak = (u) => window.spoken.push({ text: u.text, lang: u.lang });
"""


def test_a_call_in_portuguese_then_the_switch_to_spanish(open_page: OpenPage) -> None:
    board = open_page(f"/board?key={BOARD_KEY}&lang=pt-BR")
    board.add_init_script(CATCH_SPEECH)
    board.reload()
    expect(board.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(board_department(board).locator(".waiting")).to_contain_text("aguardando")

    console = open_page("/console?lang=pt-BR", user="doctor")
    expect(console.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(console.locator("#call-next")).to_contain_text("Chamar próximo")
    expect(console.locator("#queue-rows tr").first).to_be_visible()
    console.click("#call-next")
    expect(console.locator("#current-status")).to_have_text("Chamado")
    token = console.locator("#current-token").inner_text()
    expect(console.locator("#toasts")).to_contain_text(f"{token} chamado")

    expect(board_calls(board)).to_contain_text([token])
    board.wait_for_function("window.spoken.length > 0")
    said = board.evaluate("window.spoken[0]")
    assert said["lang"] == "pt-BR"
    assert said["text"].startswith(f"Senha {' '.join(token)}, por favor dirija-se a")

    console.click(".language-switch [hreflang=es]")
    expect(console.locator("html")).to_have_attribute("lang", "es")
    expect(console.locator("#do-complete")).to_contain_text("Finalizar")
    expect(console.locator("#current-status")).to_have_text("Llamado")
    expect(console.locator(".language-switch [aria-current=true]")).to_have_attribute(
        "hreflang", "es"
    )
