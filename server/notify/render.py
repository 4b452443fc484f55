"""Render messages from the Jinja2 templates of the clinic's language."""

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
DATE_FORMATS = {"en": "%a %Y-%m-%d %H:%M", "pt": "%d/%m/%Y %H:%M"}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message's subject (for e-mail) and body (for both channels)."""

    subject: str
    body: str


def languages() -> list[str]:
    """Return the languages that have templates."""
    return sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())


class Renderer:
    """Fill a kind of message's template in one language and time zone."""

    def __init__(self, language: str, timezone: str) -> None:
        if language not in languages():
            raise ValueError(f"no message templates for language {language!r}: {languages()}")
        self.language = language
        self.zone = ZoneInfo(timezone)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES / language),
            undefined=StrictUndefined,  # a missing fact is a bug, not an empty gap in an SMS
            autoescape=False,  # plain text: SMS bodies and text/plain e-mail
        )

    def when(self, moment: datetime | None) -> str | None:
        """Write a time as patients read it: clinic-local, in the language's format."""
        if moment is None:
            return None
        return moment.astimezone(self.zone).strftime(DATE_FORMATS.get(self.language, "%c"))

    def clock(self, moment: datetime) -> str:
        """Write a time of day as patients read it: clinic-local HH:MM."""
        return moment.astimezone(self.zone).strftime("%H:%M")

    def render(self, kind: str, **context: Any) -> Rendered:
        """Render the subject and body of a kind of message."""
        template = self.env.get_template(f"{kind}.txt")
        blocks = template.new_context(context)
        subject = "".join(template.blocks["subject"](blocks)).strip()
        blocks = template.new_context(context)
        body = " ".join("".join(template.blocks["body"](blocks)).split())
        return Rendered(subject=subject[:200], body=body)
