"""Render messages from the Jinja2 templates of the patient's language (else the clinic's).

A language's templates are in templates/<tag>, or templates/<primary subtag> ("pt" holds
Portuguese (Brazil), "pt-BR"): every file of templates/en must be there (tests/test_i18n.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_LANGUAGE = "en"
# Numeric dates need no locale data and read the same on every phone.
DATE_FORMATS = {"en": "%a %Y-%m-%d %H:%M", "pt": "%d/%m/%Y %H:%M", "es": "%d/%m/%Y %H:%M"}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message's subject (for e-mail) and body (for both channels)."""

    subject: str
    body: str


def languages() -> list[str]:
    """Return the languages that have templates."""
    return sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


def folder_of(language: str | None) -> str | None:
    """Return the template folder of a language tag ("pt-BR" -> "pt"), or None if it has none."""
    if not language:
        return None
    have = languages()
    tag = language.replace("_", "-")
    exact = next((name for name in have if name.lower() == tag.lower()), None)
    primary = tag.split("-")[0].lower()
    return exact or next((name for name in have if name.lower() == primary), None)


class Renderer:
    """Fill a kind of message's template in a language (the clinic's by default) and time zone."""

    def __init__(self, language: str, timezone: str) -> None:
        folder = folder_of(language)
        if folder is None:
            raise ValueError(f"no message templates for language {language!r}: {languages()}")
        self.language = folder
        self.zone = ZoneInfo(timezone)
        self.envs: dict[str, Environment] = {}
        self.env = self._env(folder)

    def _env(self, folder: str) -> Environment:
        if folder not in self.envs:
            self.envs[folder] = Environment(
                loader=FileSystemLoader(TEMPLATES / folder),
                undefined=StrictUndefined,  # a missing fact is a bug, not an empty gap in an SMS
                autoescape=False,  # plain text: SMS bodies and text/plain e-mail
            )
        return self.envs[folder]

    def folder(self, language: str | None = None) -> str:
        """Return the template folder for a person's language, else the clinic's."""
        return folder_of(language) or self.language

    def when(self, moment: datetime | None, language: str | None = None) -> str | None:
        """Write a time as patients read it: clinic-local, in their language's format."""
        if moment is None:
            return None
        return moment.astimezone(self.zone).strftime(DATE_FORMATS.get(self.folder(language), "%c"))

    def clock(self, moment: datetime) -> str:
        """Write a time of day as patients read it: clinic-local HH:MM."""
        return moment.astimezone(self.zone).strftime("%H:%M")

    def render(self, kind: str, language: str | None = None, **context: Any) -> Rendered:
        """Render the subject and body of a kind of message, in `language` if it has one."""
        template = self._env(self.folder(language)).get_template(f"{kind}.txt")
        blocks = template.new_context(context)
        subject = "".join(template.blocks["subject"](blocks)).strip()
        blocks = template.new_context(context)
        body = " ".join("".join(template.blocks["body"](blocks)).split())
        return Rendered(subject=subject[:200], body=body)
