"""The languages: their choice and formats (server/i18n.py), and the catalogue check.

`test_every_text_is_in_every_catalogue` is the check the suite runs: it fails on a text a
template or script shows without a catalogue (`_()` / `t()`), and on a translation missing in a
language. After adding texts, run `scripts/i18n.sh` (`clinic i18n extract`) and translate what
it lists.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from server import catalogues, i18n


def test_every_text_is_in_every_catalogue() -> None:
    problems = catalogues.problems()
    listed = "\n".join(str(p) for p in problems[:80])
    assert not problems, (
        f"{len(problems)} texts are not in the catalogues (run scripts/i18n.sh, then translate"
        f" the empty entries):\n{listed}"
    )


def test_a_tag_finds_the_clinics_language() -> None:
    assert i18n.supported("pt_br") == "pt-BR"
    assert i18n.supported("pt") == "pt-BR"
    assert i18n.supported("es-MX") == "es"
    assert i18n.supported("fr") is None
    assert i18n.from_accept_language("fr;q=1, es;q=0.5, pt-BR;q=0.8") == "pt-BR"
    assert i18n.from_accept_language("*, de") is None
    assert i18n.choose(None, "fr", "es") == "es"
    assert i18n.choose(None, default="xx") == "en"


def test_texts_dates_and_numbers_follow_the_language() -> None:
    moment = datetime(2030, 3, 4, 15, 5, tzinfo=UTC)
    with i18n.use("pt-BR"):
        assert i18n.gettext("Log out") == "Sair"
        assert i18n.format_number(1234.5) == "1.234,5"
        assert i18n.format_time(moment) == "15:05"
        assert i18n.format_date(date(2030, 3, 4)) == "4 de março de 2030"
        assert i18n.format_day_time(moment) == "seg., 4 de mar. 15:05"
    with i18n.use("es"):
        assert i18n.gettext("Staff, doctors and patients of %(clinic)s.", clinic="X") == (
            "Personal, médicos y pacientes de X."
        )
    with i18n.use("en"):
        assert i18n.gettext("Log out") == "Log out"
        assert i18n.format_number(1234.5) == "1,234.5"
        assert i18n.format_time(moment) == "15:05"  # British English: a 24-hour clock
        assert i18n.format_day_time(moment) == "Mon 4 Mar, 15:05"
    assert i18n.current() == "en"  # the block's language ends with it
