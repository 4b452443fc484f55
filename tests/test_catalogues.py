"""The catalogue check itself: what it finds in templates and scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import catalogues


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_templates_bare_text_is_found_and_gettext_text_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogues, "ROOT", tmp_path)
    path = write(
        tmp_path,
        "page.html",
        '<h1>{{ _("Queues") }}</h1>\n<p title="Hover text">Bare words</p>\n'
        "<kbd>N</kbd> <code>POST /api</code> {{ name }} · 12\n"
        '{{ visit.doctor or "The first free doctor" }}\n'
        "<input placeholder=\"{{ _('Search') }}\">\n",
    )
    found = [p.what for p in catalogues.template_problems(path)]
    assert found == [
        "text outside _(): 'The first free doctor'",
        "text outside _(): 'title=\"Hover text\"'",
        "text outside _(): 'Bare words'",
    ]


def test_a_scripts_text_outside_t_is_found_and_its_keys_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogues, "ROOT", tmp_path)
    path = write(
        tmp_path,
        "page.js",
        'import { t } from "./i18n.js";\n'
        'el("td", { class: "text-end small" }, t("{n} waiting", { n }));\n'
        "toast(`Called ${token}`);\n"
        'const label = open ? "Open desk" : t("Close desk");\n'
        'if (key === "Escape") send({ reason: "did not come" }); // i18n-ignore: audit\n'
        "const pattern = /[a-z]+ words/g;\n"
        'node.textContent = "any doctor";\n',
    )
    texts = list(catalogues.script_texts(path))
    assert [(x.value, x.line) for x in texts if x.is_key] == [
        ("{n} waiting", 2),
        ("Close desk", 4),
    ]
    assert [(x.value, x.line) for x in texts if not x.is_key] == [
        ("Called {}", 3),
        ("Open desk", 4),
        ("any doctor", 7),
    ]


def test_the_servers_error_codes_are_found() -> None:
    codes = catalogues.error_codes()
    assert codes["SLOT_FULL"] == "that slot is full"
    assert codes["TICKET_NOT_FOUND"] == "ticket not found"
