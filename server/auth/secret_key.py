"""The signing secret: from the environment, or a random one kept in the var directory."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

MIN_LENGTH = 32
# The old built-in default, public since the first commit: refused everywhere but in tests.
DEFAULT_SECRET = "dev-only-insecure-secret-change-me"
# Values written in this repository or its docs are public, so never signing keys.
KNOWN_SECRETS = frozenset({DEFAULT_SECRET, "change-me", "secret"})
SECRET_FILE = "secret_key"


class SecretError(ValueError):
    """The configured or stored secret must not be used."""


def check(secret: str, origin: str) -> str:
    """Return `secret` unless it is a known value or too short to resist guessing."""
    if secret in KNOWN_SECRETS or len(secret) < MIN_LENGTH:
        raise SecretError(
            f"{origin} must be {MIN_LENGTH} or more random characters, not a known default "
            """(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"""
        )
    return secret


def load_or_create(folder: Path) -> tuple[str, str]:
    """Return the secret kept in `folder` and how it was found ("file read"/"file created").

    The folder is made owner-only (0700) and the file 0600; a file others can read is
    refused, not used. Two processes starting at once agree: the file appears whole, by a
    hard link of a finished temporary file, or not at all.
    """
    # A var directory made here is owner-only too: it also holds the SQLite file and models.
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / SECRET_FILE
    created = False
    if not path.exists():
        temporary = folder / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(temporary, path)
            created = True
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(f"{path} can be read by others: chmod 600 it (or remove it)")
    secret = check(path.read_text().strip(), str(path))
    return secret, "file created" if created else "file read"
