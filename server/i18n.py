"""Languages the clinic speaks: the list, the choice of one, gettext and locale formats.

Server templates and server-side texts are gettext messages (`_("Text")`), translated from the
catalogues in server/locale/<lang>/LC_MESSAGES/messages.po (read at start; no compiled files).
The browser scripts have their own JSON catalogues (web/static/i18n/<lang>.json, `t()` in
web/static/js/i18n.js). `clinic i18n extract` re-reads the sources into both kinds of catalogue;
tests/test_i18n.py fails on an untranslated text or a key missing in a language.
"""

from __future__ import annotations

import gettext as gettext_module
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

LANGUAGES: Final = ("en", "pt-BR", "es")
DEFAULT_LANGUAGE: Final = "en"
# What each language is called in itself: the switch shows these (never translated).
NAMES: Final = {"en": "English", "pt-BR": "Português (Brasil)", "es": "Español"}
# The locale of dates, times and numbers: the clinic's English is British (24-hour clocks).
FORMAT_LOCALES: Final = {"en": "en_GB", "pt-BR": "pt_BR", "es": "es"}
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "messages"

_current: ContextVar[str] = ContextVar("clinic_language", default=DEFAULT_LANGUAGE)


def supported(tag: str | None) -> str | None:
    """Return the clinic's language for a tag ("pt_br", "pt", "es-MX" …), or None."""
    if not tag:
        return None
    wanted = tag.strip().replace("_", "-").lower()
    for language in LANGUAGES:
        if wanted == language.lower():
            return language
    primary = wanted.split("-")[0]
    return next((lang for lang in LANGUAGES if lang.split("-")[0].lower() == primary), None)


def from_accept_language(header: str | None) -> str | None:
    """Return the best of the clinic's languages for an Accept-Language header, or None."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):  # a header is short; ignore a flood
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    for _, _, tag in sorted(ranked):
        found = supported(tag)
        if found:
            return found
    return None


def choose(*candidates: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Return the first supported language among `candidates` (in order), else `default`."""
    for candidate in candidates:
        found = supported(candidate)
        if found:
            return found
    return supported(default) or DEFAULT_LANGUAGE


def locale_name(language: str) -> str:
    """Return Babel's and gettext's name of a language ("pt-BR" -> "pt_BR")."""
    return language.replace("-", "_")


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """Return the gettext translations of a language, compiled in memory from its .po file."""
    path = LOCALE_DIR / locale_name(language) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not path.exists():
        return gettext_module.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale_name(language))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # leaves out fuzzy entries: a guess is not a translation
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def current() -> str:
    """Return the language of the request or job being served."""
    return _current.get()


def set_current(language: str) -> None:
    """Make `language` the language of the request being served (for the rest of it)."""
    _current.set(choose(language))


@contextmanager
def use(language: str | None) -> Iterator[str]:
    """Render in `language` inside the block (a printed ticket in the patient's language)."""
    token = _current.set(choose(language))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str, **variables: Any) -> str:
    """Translate `message` into the current language; fill `%(name)s` from `variables`."""
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """Translate the singular or plural form for `n`; `%(num)s` is n."""
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def N_(message: str) -> str:
    """Mark a text for the catalogue without translating it now (translate it when shown)."""
    return message


def babel_locale(language: str | None = None) -> Locale:
    """Return Babel's locale of a language (the current one by default)."""
    language = language or current()
    return Locale.parse(FORMAT_LOCALES.get(language, locale_name(language)))


def format_time(moment: datetime, language: str | None = None) -> str:
    """Write a time of day as the language does ("10:15", "10:15 AM")."""
    return dates.format_time(moment, format="short", locale=babel_locale(language))


def format_day_time(moment: datetime, language: str | None = None) -> str:
    """Write a weekday, day, month and time ("Mon, Mar 4, 3:05 PM"; "seg., 4 de mar. 15:05")."""
    locale = babel_locale(language)
    day = dates.format_skeleton("MMMEd", moment, locale=locale)
    pattern = str(locale.datetime_formats["short"])  # how the language joins a day and a time
    return pattern.replace("{1}", day).replace("{0}", format_time(moment, language))


def format_date(day: date, language: str | None = None) -> str:
    """Write a date as the language does, in full ("30 de novembro de 2026")."""
    return dates.format_date(day, format="long", locale=babel_locale(language))


def format_number(value: float, language: str | None = None) -> str:
    """Write a number with the language's separators ("1,234.5"; "1.234,5")."""
    return numbers.format_decimal(value, locale=babel_locale(language))


def install(env: Environment) -> None:
    """Give the templates `_()` and `ngettext()`, new-style (`_("%(n)s ahead", n=3)`)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(current()).gettext(message),
        lambda singular, plural, n: translations(current()).ngettext(singular, plural, n),
        newstyle=True,
    )
    env.globals.update(
        language=current, languages=lambda: [(lang, NAMES[lang]) for lang in LANGUAGES]
    )
    env.filters.update(number=lambda value: format_number(value))


def names(languages: Iterable[str] = LANGUAGES) -> dict[str, str]:
    """Return each language's own name, for a picker."""
    return {language: NAMES[language] for language in languages}
