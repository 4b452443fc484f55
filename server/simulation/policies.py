"""The compared policies: each a named configuration of the production settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    """How the clinic is configured: overbooking, scoring and re-sequencing."""

    name: str
    # "none": every slot's overbook_cap is 0; "flat": cap 1 on `round(slots x base rate)`
    # evenly spread slots of each session, no expected-arrivals check; "allocation": the
    # session cap of 1, the booking-time check and the nightly allocation job.
    overbooking: str
    scorer: str  # "base": the department's base rate; "model": the registry's model
    resequence: bool  # the greedy and CP-SAT re-planning triggers are attached
    # CLINIC_SOLVER_MAX_EXPECTED_EXCESS for this run (None: the production default, 0.3).
    max_expected_excess: float | None = None


POLICIES: dict[str, Policy] = {
    p.name: p
    for p in (
        Policy("fcfs", "none", "base", False),
        Policy("flat", "flat", "base", False),
        Policy("predictive", "allocation", "model", True),
        Policy("predictive-base-rate", "allocation", "base", True),
    )
}
FLAT_SLACK = 1.0  # with cap 1, expected arrivals never pass capacity + 1: the check is off


def policy(name: str) -> Policy:
    """Return the named policy; `NAME@X` sets its overbooking slack to X (expected patients)."""
    base, _, level = name.partition("@")
    if base not in POLICIES:
        raise ValueError(f"unknown policy {base!r}; choose from {', '.join(POLICIES)}")
    found = POLICIES[base]
    if not level:
        return found
    try:
        excess = float(level)
    except ValueError:
        raise ValueError(f"{name!r}: the level after @ is a number, e.g. predictive@0.6") from None
    if found.overbooking != "allocation" or not 0 <= excess <= 2:
        raise ValueError(f"{name!r}: only allocation policies take a level between 0 and 2")
    return Policy(name, found.overbooking, found.scorer, found.resequence, excess)


def flat_slots(slots: int, base_rate: float) -> list[int]:
    """Return the indexes of a session's slots that may take one extra booking (flat)."""
    extra = round(slots * base_rate)
    if extra <= 0:
        return []
    step = slots / extra
    return sorted({int(i * step) for i in range(extra)})
