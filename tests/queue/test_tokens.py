"""Token formatting and parsing."""

from __future__ import annotations

import pytest

from server.queue.tokens import format_token, is_valid_prefix, parse_token


@pytest.mark.parametrize(
    ("prefix", "number", "token"),
    [("G", 1, "G-001"), ("G", 14, "G-014"), ("CA", 999, "CA-999"), ("P", 1000, "P-1000")],
)
def test_tokens_are_padded_to_three_digits(prefix: str, number: int, token: str) -> None:
    assert format_token(prefix, number) == token
    assert parse_token(token) == (prefix, number)


def test_a_token_typed_in_lower_case_with_spaces_is_understood() -> None:
    assert parse_token("  g-014 ") == ("G", 14)


@pytest.mark.parametrize("bad", ["", "G14", "G-", "-014", "G-01", "1-014", "ABCD-001"])
def test_malformed_tokens_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a token"):
        parse_token(bad)


@pytest.mark.parametrize(
    ("prefix", "number"), [("g", 1), ("", 1), ("ABCD", 1), ("G", 0), ("G", -3)]
)
def test_impossible_tokens_cannot_be_formatted(prefix: str, number: int) -> None:
    with pytest.raises(ValueError):
        format_token(prefix, number)


def test_prefixes_are_one_to_three_capitals() -> None:
    assert is_valid_prefix("G") and is_valid_prefix("CAR")
    assert not is_valid_prefix("g") and not is_valid_prefix("G1")
