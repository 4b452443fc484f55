"""Languages the clinic speaks: the list, and gettext for the server's templates.

Until the catalogues land (issue #17) the translations are the identity; every page already
writes its text through `_()` (templates) or `t()` (browser scripts, web/static/js/i18n.js).
"""

from __future__ import annotations

from typing import Final

from jinja2 import Environment

LANGUAGES: Final = ("en", "pt-BR", "es")
DEFAULT_LANGUAGE: Final = "en"


def install(env: Environment) -> None:
    """Give the templates `_()` and `ngettext()`, new-style (`_("%(n)s ahead", n=3)`)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
