"""Domain code refuses with DomainError classes; only the HTTP layer speaks in statuses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from server.config import PROJECT_ROOT
from server.errors import Conflict, Forbidden, NotFound, forbidden, not_found

# The packages below the transports: they say what went wrong, never how HTTP reports it.
DOMAIN_PACKAGES = [
    "actions",
    "queue",
    "scheduling",
    "solver",
    "ml",
    "notify",
    "queries",
    "realtime",
]


def http_error_uses(path: Path) -> list[str]:
    """List where a module imports or names APIError (the HTTP layer's own error)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
        else:
            names = [getattr(node, "id", None), getattr(node, "attr", None)]
        if "APIError" in names:
            found.append(f"{path}:{getattr(node, 'lineno', 0)}")
    return found


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_no_domain_package_uses_the_http_error(package: str) -> None:
    modules = sorted((PROJECT_ROOT / "server" / package).rglob("*.py"))
    assert modules, package
    assert [use for path in modules for use in http_error_uses(path)] == []


def test_the_search_would_find_an_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from server.errors import APIError, not_found\nraise APIError(409, 'X', 'x')\n"
    )
    assert len(http_error_uses(sneaky)) == 2


def test_the_helpers_build_domain_refusals() -> None:
    missing = not_found("outbox_message", 7)
    assert isinstance(missing, NotFound) and missing.code == "OUTBOX_MESSAGE_NOT_FOUND"
    assert missing.message == "outbox message 7 not found"
    refused = forbidden()
    assert isinstance(refused, Forbidden) and not isinstance(refused, Conflict)
    assert refused.code == "FORBIDDEN"
