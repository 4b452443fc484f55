"""Argon2id password hashes, computed off the event loop (about 100 ms each)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps unknown usernames as slow as known ones.
_DUMMY = _hasher.hash("not-a-real-password")


def hash_password_sync(password: str) -> str:
    """Hash a password (blocking; for the CLI and seeding)."""
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    """Hash a password in a thread."""
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Check a password in a thread; a missing hash costs the same and fails."""
    return await asyncio.to_thread(_verify, stored, password)
