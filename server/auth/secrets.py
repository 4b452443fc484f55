"""Bearer tokens, display keys and signed ticket links."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from server.errors import Unauthenticated

TICKET_LINK_SALT = "ticket-link"


def new_secret(prefix: str) -> str:
    """Make a random token that says what it is for (cq_… for APIs, dk_… for displays)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """Hash a token for storage; tokens are random, so a plain SHA-256 suffices."""
    return hashlib.sha256(secret.encode()).hexdigest()


@cache  # one per key: building a serializer costs more than signing with it
def ticket_link_signer(secret_key: str) -> URLSafeTimedSerializer:
    """Return the signer of patients' live links."""
    return URLSafeTimedSerializer(secret_key, salt=TICKET_LINK_SALT)


def sign_ticket(secret_key: str, ticket_id: int) -> str:
    """Sign a ticket id into a link token; it opens that ticket and nothing else."""
    return ticket_link_signer(secret_key).dumps({"t": ticket_id})


def read_ticket_link(secret_key: str, token: str, max_age_s: int) -> int:
    """Return the ticket id of a valid link; 401 with LINK_EXPIRED or LINK_INVALID."""
    try:
        data = ticket_link_signer(secret_key).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise Unauthenticated(
            "LINK_EXPIRED", "this link has expired; ask the desk for a new one"
        ) from None
    except BadSignature:
        raise Unauthenticated("LINK_INVALID", "this link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        raise Unauthenticated("LINK_INVALID", "this link is not valid")
    return int(data["t"])


OFFER_LINK_SALT = "waitlist-offer"
# The offer row's own expiry is the real limit; a link never outlives this.
OFFER_LINK_MAX_AGE_S = 2 * 24 * 3600


@cache
def offer_link_signer(secret_key: str) -> URLSafeTimedSerializer:
    """Return the signer of waitlist offers' confirm links."""
    return URLSafeTimedSerializer(secret_key, salt=OFFER_LINK_SALT)


def sign_offer(secret_key: str, offer_id: int) -> str:
    """Sign a waitlist offer's id into a link token; it answers that one offer."""
    return offer_link_signer(secret_key).dumps({"o": offer_id})


def read_offer_link(secret_key: str, token: str) -> int:
    """Return the offer id of a valid link; 401 with LINK_EXPIRED or LINK_INVALID."""
    try:
        data = offer_link_signer(secret_key).loads(token, max_age=OFFER_LINK_MAX_AGE_S)
    except SignatureExpired:
        raise Unauthenticated("LINK_EXPIRED", "this offer has expired") from None
    except BadSignature:
        raise Unauthenticated("LINK_INVALID", "this link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("o"), int):
        raise Unauthenticated("LINK_INVALID", "this link is not valid")
    return int(data["o"])
