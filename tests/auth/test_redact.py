"""Display keys and ticket links never reach the access log."""

from __future__ import annotations

import logging

from server.auth.redact import RedactURLSecrets, redact


def test_url_secrets_are_replaced() -> None:
    assert redact("/board?key=dk_secret123&x=1") == "/board?key=…&x=1"
    assert redact("/t/eyJ0Ijo1fQ.abc.def") == "/t/…"
    assert redact("/api/queue?department=1") == "/api/queue?department=1"


def test_the_access_log_record_is_redacted_not_dropped() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/board?key=dk_secret123", "1.1", 200),
        None,
    )
    assert RedactURLSecrets().filter(record)
    assert "dk_secret123" not in record.getMessage() and "/board?key=…" in record.getMessage()
