"""One-time codes and invitation links for patients' own accounts.

A request key (random, held by the client, stored hashed) names a pending sign-up, reset or
invitation; the code sent to the patient is stored as an HMAC of the key and the code under
the clinic's secret, so that a copy of the database does not give six digits away to a
brute force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from functools import cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from server.auth.secrets import new_secret
from server.errors import Unauthenticated

CODE_DIGITS = 6
INVITE_LINK_SALT = "invite-link"


def new_request_key() -> str:
    """Make the random key a client names its pending request by."""
    return new_secret("ac")


def new_code() -> str:
    """Make a six-digit one-time code (leading zeros kept)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(secret_key: str, request_key: str, code: str) -> str:
    """Return the stored form of a code: an HMAC bound to its request."""
    message = f"code:{request_key}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def same_code(secret_key: str, request_key: str, code: str, stored: str) -> bool:
    """Tell whether `code` is the one stored for the request, in constant time."""
    return hmac.compare_digest(code_hash(secret_key, request_key, code), stored)


def normal_name(name: str) -> str:
    """Fold a name for matching: no accents, no case, single spaces ("José  da Silva")."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


@cache
def _invite_signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=INVITE_LINK_SALT)


def sign_invite(secret_key: str, request_key: str) -> str:
    """Sign an invitation's request key into the link sent to the patient."""
    return _invite_signer(secret_key).dumps({"i": request_key})


def read_invite(secret_key: str, link: str, max_age_s: int) -> str:
    """Return the request key of a valid invitation link; 401 LINK_EXPIRED or LINK_INVALID."""
    try:
        data = _invite_signer(secret_key).loads(link, max_age=max_age_s)
    except SignatureExpired:
        raise Unauthenticated(
            "LINK_EXPIRED", "this invitation has expired; ask the desk for a new one"
        ) from None
    except BadSignature:
        raise Unauthenticated("LINK_INVALID", "this invitation link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), str):
        raise Unauthenticated("LINK_INVALID", "this invitation link is not valid")
    return str(data["i"])
