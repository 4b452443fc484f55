"""The socket refusals that trying again cannot fix: a screen that meets one stops and says so."""

from __future__ import annotations

# Every code a namespace refuses a connect with (server/realtime/auth.py, namespaces.py) but
# UNAVAILABLE, a busy or failing server, which the screen retries. The browser gets this list
# from the server (server/browser.py), not from a copy.
FINAL_REFUSALS = frozenset(
    {
        "AUTH_REQUIRED",
        "TOKEN_INVALID",
        "DISPLAY_KEY_INVALID",
        "LINK_INVALID",
        "LINK_EXPIRED",
        "FORBIDDEN",
        "BAD_REQUEST",
        "DEPARTMENT_NOT_FOUND",
        "TICKET_NOT_FOUND",
    }
)
