"""SMART-style scopes on bearer tokens: `<context>/<Resource>.<access>`, pure and checked once.

`patient/Appointment.read` reads the token owner's own appointments, `user/*.read` what the
owner's role may read, `system/Appointment.write` writes as a back-end system (staff roles
only). SMART v1 (`read`, `write`, `*`) and v2 (`rs`, `cud`, `cruds`) accesses are understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from server.errors import Invalid
from server.models.users import Role

MAX_SCOPES = 30
SCOPE = re.compile(
    r"^(patient|user|system)/([A-Z][A-Za-z]{1,40}|\*)\.(read|write|\*|[cruds]{1,5})$"
)
# The resources the FHIR endpoint serves; a scope naming another is refused when it is made.
RESOURCES = frozenset(
    {
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Location",
        "HealthcareService",
        "Schedule",
        "Slot",
        "Appointment",
        "Encounter",
        "Subscription",
    }
)


class Access(StrEnum):
    """What a request does to a resource."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True)
class Scope:
    """One parsed scope."""

    context: str  # patient | user | system
    resource: str  # a resource type or "*"
    read: bool
    write: bool

    def grants(self, resource: str, access: Access) -> bool:
        """Tell whether this scope covers `access` to `resource`."""
        if self.resource not in ("*", resource):
            return False
        return self.read if access is Access.READ else self.write


def parse(text: str) -> Scope:
    """Parse one scope; Invalid SCOPE_INVALID names it when it is not one we understand."""
    found = SCOPE.match(text)
    if found is None:
        raise Invalid("SCOPE_INVALID", f"not a scope: {text[:60]!r}", {"scope": text[:60]})
    context, resource, access = found.groups()
    if resource != "*" and resource not in RESOURCES:
        raise Invalid("SCOPE_INVALID", f"no FHIR resource {resource!r} here", {"scope": text})
    if access in ("read", "write", "*"):
        read, write = access in ("read", "*"), access in ("write", "*")
    else:
        if len(set(access)) != len(access) or list(access) != sorted(access, key="cruds".index):
            raise Invalid("SCOPE_INVALID", f"letters out of order in {text!r}", {"scope": text})
        read, write = bool(set(access) & set("rs")), bool(set(access) & set("cud"))
    return Scope(context, resource, read, write)


def parse_all(text: str) -> tuple[Scope, ...]:
    """Parse a space-separated list of scopes (as stored on a token)."""
    return tuple(parse(word) for word in text.split())


def check_grantable(words: list[str], role: Role, has_patient: bool) -> str:
    """Validate scopes asked for a new token by a user of `role`; return them joined by spaces.

    A patient may hold patient/ and user/ scopes, staff user/ and system/ ones; patient/ needs
    a patient record behind the login (its compartment).
    """
    if len(words) > MAX_SCOPES:
        raise Invalid("SCOPE_INVALID", f"at most {MAX_SCOPES} scopes", {"count": len(words)})
    for word in words:
        scope = parse(word)
        if scope.context == "system" and role is Role.PATIENT:
            raise Invalid(
                "SCOPE_NOT_ALLOWED", "a patient cannot hold system scopes", {"scope": word}
            )
        if scope.context == "patient" and not has_patient:
            raise Invalid(
                "SCOPE_NOT_ALLOWED", "patient scopes need a patient's login", {"scope": word}
            )
    return " ".join(dict.fromkeys(words))


def permitted(scopes: tuple[Scope, ...], resource: str, access: Access) -> Scope | None:
    """Return the broadest scope granting `access` to `resource` (system > user > patient)."""
    rank = {"system": 0, "user": 1, "patient": 2}
    granting = [s for s in scopes if s.grants(resource, access)]
    return min(granting, key=lambda s: rank[s.context]) if granting else None
