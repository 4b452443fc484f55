"""Subscription (R4, channel rest-hook): reading one from FHIR, showing it, and the active set."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.fhir import appointments, encounters
from server.fhir.base import MEDIA, Resource, resource
from server.fhir.outcome import invalid
from server.fhir.search import Query, parse_id
from server.models import FhirSubscription

KINDS = {"Appointment": set(appointments.STATUS.values()), "Encounter": set(encounters.CODES)}
CRITERIA = re.compile(r"^(Appointment|Encounter)(\?status=([a-z-]+(,[a-z-]+)*))?$")
HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}: [\x20-\x7e]{1,400}$")
PAYLOADS = (MEDIA, "application/json")


def to_fhir(row: FhirSubscription) -> Resource:
    """Show a subscription; its header's value is never shown again (it is a credential)."""
    header = [row.header.split(":", 1)[0] + ": ***"] if row.header else []
    return resource(
        "Subscription",
        row.id,
        row.created_at,
        status=row.status,
        reason=row.reason,
        criteria=row.criteria,
        error=row.error,
        channel={"type": "rest-hook", "endpoint": row.endpoint, "payload": MEDIA, "header": header},
    )


def from_fhir(body: dict[str, Any]) -> FhirSubscription:
    """Read a validated Subscription into a row; 400/422 naming what cannot be served."""
    criteria = str(body.get("criteria") or "")
    found = CRITERIA.match(criteria)
    if found is None:
        raise invalid("Subscription.criteria", "Appointment or Encounter, optionally ?status=a,b")
    kind, statuses = found.group(1), (found.group(3) or "")
    unknown = [s for s in statuses.split(",") if s and s not in KINDS[kind]]
    if unknown:
        raise invalid("Subscription.criteria", f"unknown {kind} status {unknown[0]!r}")
    channel = body.get("channel") or {}
    if channel.get("type") != "rest-hook":
        raise invalid("Subscription.channel.type", "only rest-hook is served")
    endpoint = str(channel.get("endpoint") or "")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(endpoint) > 254:
        raise invalid("Subscription.channel.endpoint", "an http(s) URL of at most 254 characters")
    if channel.get("payload") not in (None, *PAYLOADS):
        raise invalid("Subscription.channel.payload", f"{MEDIA} (or none)")
    headers = channel.get("header") or []
    if len(headers) > 1 or any(not HEADER.match(str(h)) for h in headers):
        raise invalid("Subscription.channel.header", "at most one 'Name: value' header")
    return FhirSubscription(
        resource_type=kind,
        criteria=criteria,
        statuses=statuses,
        endpoint=endpoint,
        header=str(headers[0]) if headers else "",
        reason=str(body.get("reason") or "")[:200],
        status="active",
        error="",
    )


def search(query: Query) -> Select[Any]:
    """Select the subscriptions a search by `_id` matches (all, without one)."""
    statement = select(FhirSubscription).order_by(FhirSubscription.id)
    ids = query.one("_id")
    if ids is not None:
        statement = statement.where(FhirSubscription.id.in_([parse_id("_id", v) for v in ids]))
    return statement


@dataclass(frozen=True, slots=True)
class Active:
    """One active subscription, as the event listener needs it."""

    id: int
    resource_type: str
    statuses: frozenset[str]
    endpoint: str

    def wants(self, kind: str, status: str) -> bool:
        """Tell whether a change of a `kind` resource to `status` is to be posted."""
        return kind == self.resource_type and (not self.statuses or status in self.statuses)


@dataclass
class ActiveCache:
    """The active subscriptions, re-read at most every `ttl_s` (none: no query per action)."""

    ttl_s: float
    _until: float = 0.0
    _rows: tuple[Active, ...] = field(default_factory=tuple)

    def forget(self) -> None:
        """Re-read on next use (after a subscription is made or removed here)."""
        self._until = 0.0

    async def get(self, db: AsyncSession) -> tuple[Active, ...]:
        """Return the active subscriptions, from memory while fresh."""
        if time.monotonic() < self._until:
            return self._rows
        rows = await db.scalars(select(FhirSubscription).where(FhirSubscription.status == "active"))
        self._rows = tuple(
            Active(
                r.id, r.resource_type, frozenset(filter(None, r.statuses.split(","))), r.endpoint
            )
            for r in rows
        )
        self._until = time.monotonic() + self.ttl_s
        return self._rows
