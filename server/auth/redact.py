"""Keep secrets that travel in URLs (display keys, ticket links) out of the access log."""

from __future__ import annotations

import logging
import re

# /t/<signed link>, ?key=dk_…, ?link=…: each opens a screen to whoever reads it.
_SECRETS = re.compile(r"(/t/|[?&](?:key|link|token)=)[^&\s\"]+")


def redact(text: str) -> str:
    """Replace the secret parts of a URL with "…"."""
    return _SECRETS.sub(r"\1…", text)


class RedactURLSecrets(logging.Filter):
    """A filter for uvicorn's access log, whose third argument is the request's path."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the path in place; never drop the record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    """Attach the filter to uvicorn's access logger once."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactURLSecrets) for f in access.filters):
        access.addFilter(RedactURLSecrets())
