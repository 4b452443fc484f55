"""Search parameters (date, token, reference, string), bounded paging, and searchset Bundles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, not_
from sqlalchemy.orm import InstrumentedAttribute

from server.fhir.base import Resource, prune
from server.fhir.outcome import FhirError

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 10_000
MAX_VALUE = 200  # characters in one parameter value
IGNORED = frozenset({"_format", "_pretty", "_total", "_totalMethod"})  # total: always given
DATE = re.compile(
    r"^(eq|ne|ge|gt|le|lt|sa|eb)?(\d{4}-\d{2}-\d{2})(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$"
)
ID = re.compile(r"^[1-9]\d{0,17}$")


def bad(parameter: str, problem: str) -> FhirError:
    """Refuse a search parameter (400 BAD_QUERY, naming it)."""
    return FhirError(
        400,
        "BAD_QUERY",
        f"{parameter}: {problem}",
        {"errors": [{"field": parameter, "problem": problem, "type": "invalid"}]},
    )


@dataclass(frozen=True, slots=True)
class Query:
    """The request's search parameters, checked against what the resource supports."""

    params: Mapping[str, list[str]]
    count: int
    offset: int

    def values(self, name: str) -> list[str]:
        """Return every value given for `name` (repeats AND, commas OR)."""
        return self.params.get(name, [])

    def one(self, name: str) -> list[str] | None:
        """Return the comma-separated alternatives of a parameter given at most once."""
        given = self.values(name)
        if not given:
            return None
        if len(given) > 1:
            raise bad(name, "give this parameter once")
        return [v for v in given[0].split(",") if v]


def parse_query(args: Mapping[str, list[str]], supported: Iterable[str]) -> Query:
    """Check the parameters and read `_count` and `_offset`; 400 BAD_QUERY otherwise."""
    allowed = {*supported, "_count", "_offset", *IGNORED}
    params: dict[str, list[str]] = {}
    for name, values in args.items():
        if name not in allowed:
            raise bad(
                name, f"not a supported parameter (supported: {', '.join(sorted(supported))})"
            )
        for value in values:
            if len(value) > MAX_VALUE or not value.isprintable():
                raise bad(name, f"a value is at most {MAX_VALUE} printable characters")
        params[name] = values
    count = _bounded(params, "_count", DEFAULT_COUNT, 0, MAX_COUNT)
    offset = _bounded(params, "_offset", 0, 0, MAX_OFFSET)
    return Query(params, count, offset)


def _bounded(params: Mapping[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    given = params.get(name)
    if not given:
        return default
    if len(given) > 1 or not given[0].isdigit() or len(given[0]) > 6:
        raise bad(name, f"a whole number from {low} to {high}")
    value = int(given[0])
    if name == "_count":
        return min(value, high)  # FHIR: a server may return fewer than asked
    if not low <= value <= high:
        raise bad(name, f"a whole number from {low} to {high}")
    return value


def parse_id(parameter: str, value: str, kind: str | None = None) -> int:
    """Read `12` or `Kind/12` as an id; 400 BAD_QUERY otherwise."""
    if kind is not None and value.startswith(f"{kind}/"):
        value = value.removeprefix(f"{kind}/")
    if not ID.match(value) or int(value) > 2**63 - 1:
        raise bad(parameter, f"expected {kind + '/' if kind else ''}<id>, got {value[:40]!r}")
    return int(value)


def _moment(parameter: str, text: str, clock: str | None) -> tuple[datetime, datetime]:
    """Return the [start, end) range a date or instant stands for."""
    try:
        if clock is None:
            start_day = date.fromisoformat(text)
            start = datetime.combine(start_day, time(), UTC)
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(text + clock.replace("Z", "+00:00"))
    except ValueError:
        raise bad(parameter, f"not a date: {text + (clock or '')!r}") from None
    if moment.tzinfo is None:
        raise bad(parameter, "a time needs its offset (Z or ±hh:mm)")
    return moment, moment + timedelta(seconds=1)


def date_filter(
    parameter: str, values: list[str], column: ColumnElement[Any] | InstrumentedAttribute[Any]
) -> list[ColumnElement[bool]]:
    """Turn `date=ge2030-03-04&date=lt2030-03-05T12:00:00Z` into conditions on `column`."""
    conditions: list[ColumnElement[bool]] = []
    for value in values:
        found = DATE.match(value)
        if found is None:
            raise bad(parameter, "expected [prefix]YYYY-MM-DD[Thh:mm:ss(Z|±hh:mm)]")
        prefix, text, clock = found.group(1) or "eq", found.group(2), found.group(3)
        low, high = _moment(parameter, text, clock)
        if not 1900 <= low.year <= 2999:
            raise bad(parameter, "dates lie within 1900-2999")
        low_c, high_c = column >= low, column < high
        conditions.append(
            {
                "eq": and_(low_c, high_c),
                "ne": not_(and_(low_c, high_c)),
                "ge": low_c,
                "sa": column >= high,
                "gt": column >= high,
                "le": high_c,
                "eb": column < low,
                "lt": column < low,
            }[prefix]
        )
    return conditions


def codes(parameter: str, given: list[str] | None, allowed: Iterable[str]) -> list[str] | None:
    """Check token values against the codes a parameter knows; None when not given."""
    if given is None:
        return None
    known = set(allowed)
    for value in given:
        if value not in known:
            raise bad(parameter, f"unknown code {value[:40]!r} (known: {', '.join(sorted(known))})")
    return given


def bundle(base_url: str, path: str, query: Query, entries: list[Resource], total: int) -> Resource:
    """Build a searchset Bundle with self/first/next/previous links for this page."""

    def link(relation: str, offset: int) -> dict[str, str]:
        pairs = [(k, v) for k, vs in query.params.items() for v in vs if k not in ("_offset",)]
        pairs = [(k, v) for k, v in pairs if k != "_count"]
        pairs += [("_count", str(query.count)), ("_offset", str(offset))]
        return {"relation": relation, "url": f"{base_url}{path}?{urlencode(pairs)}"}

    links = [link("self", query.offset), link("first", 0)]
    if query.count and query.offset + query.count < total:
        links.append(link("next", query.offset + query.count))
    if query.offset > 0:
        links.append(link("previous", max(query.offset - query.count, 0)))
    return prune(  # type: ignore[no-any-return]
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{base_url}/{entry['resourceType']}/{entry['id']}",
                    "resource": entry,
                    "search": {"mode": "match"},
                }
                for entry in entries
            ],
        }
    )


def path_id(kind: str, ident: str) -> int:
    """Read the id in `[base]/Kind/<id>`; ours are numbers, so any other id is simply absent."""
    if not ID.match(ident) or int(ident) > 2**63 - 1:
        raise FhirError(404, f"{kind.upper()}_NOT_FOUND", f"{kind}/{ident[:40]} not found")
    return int(ident)
