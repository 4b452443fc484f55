"""Plans of category-less queues, recorded before priority categories existed.

The test holds today's greedy and CP-SAT plans to exactly these. Regenerate only on purpose:
`python -m tests.solver.baseline_plans OUT.json`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from server.solver import QueueState, SolverPolicy, greedy_plan, resequence, with_previous
from server.solver.types import Plan
from tests.solver.factories import make_ticket, random_queue

GOLDEN = Path(__file__).with_name("baseline_plans.json")
POLICIES = {
    "default": SolverPolicy(resequence_time_limit_s=20.0),
    "stable": SolverPolicy(resequence_time_limit_s=20.0, max_moveback=0, max_doctor_options=2),
}


def plan_json(plan: Plan) -> dict[str, Any]:
    """Return what a plan decides: every entry, what is unplaced, and its cost."""
    return {
        "entries": [
            [e.ticket_id, e.doctor_id, e.position, e.start_min, e.end_min] for e in plan.entries
        ],
        "unplaced": list(plan.unplaced),
        "objective": plan.stats.objective,
    }


def later(state: QueueState, before: Plan) -> QueueState:
    """Return the state some minutes on: a fifth gone, a returning and an urgent newcomer."""
    gone = {t.ticket_id for t in state.tickets[::5]}
    stay = [t for t in state.tickets if t.ticket_id not in gone]
    everyone = tuple(sorted({d.doctor_id for d in state.doctors}))
    extra = [
        make_ticket(ticket_id=900, arrived_at=-45, jumps=True, eligible_doctor_ids=everyone),
        make_ticket(ticket_id=901, urgency="urgent", jumps=True, eligible_doctor_ids=everyone),
        make_ticket(ticket_id=902, arrived_at=3, eligible_doctor_ids=everyone),
    ]
    return replace(
        state,
        tickets=tuple(with_previous([*stay, *extra], before)),
        now_min=state.now_min + 5,
        state_version=2,
    )


def cases() -> dict[str, dict[str, Any]]:
    """Return every recorded case: greedy on larger queues, CP-SAT on ones it proves."""
    out: dict[str, dict[str, Any]] = {}
    for name, policy in POLICIES.items():
        for seed in range(6):
            state = random_queue(seed, tickets=40, doctors=3)
            first = greedy_plan(state, policy)
            out[f"greedy-{name}-{seed}"] = plan_json(first)
            out[f"greedy-{name}-{seed}-later"] = plan_json(greedy_plan(later(state, first), policy))
        for seed in range(3):
            state = random_queue(100 + seed, tickets=9, doctors=2)
            first = resequence(state, policy, seed=seed)
            out[f"cpsat-{name}-{seed}"] = plan_json(first)
            step = later(state, first)
            out[f"cpsat-{name}-{seed}-later"] = plan_json(resequence(step, policy, seed=seed))
    return out


if __name__ == "__main__":
    Path(sys.argv[1] if len(sys.argv) > 1 else GOLDEN).write_text(
        json.dumps(cases(), indent=0) + "\n"
    )
