"""Pure scheduling core: slot allocation with overbooking, and live re-sequencing."""

from server.solver.allocation import (
    allocate,
    allocation_value,
    greedy_allocation,
    greedy_result,
)
from server.solver.greedy import greedy_plan
from server.solver.overbooking import overbook_decision
from server.solver.plans import (
    PlanMove,
    apply_plan_if_current,
    choose_plan,
    diff_plans,
    improves,
    with_previous,
)
from server.solver.policy import PROB_SCALE, SolverPolicy
from server.solver.resequence import resequence
from server.solver.types import (
    AllocationRequest,
    AllocationResult,
    DoctorAvailability,
    OverbookDecision,
    Plan,
    PlanEntry,
    QueueState,
    SlotLoad,
    SlotSpec,
    SolveStats,
    WaitingTicket,
)

__all__ = [
    "PROB_SCALE",
    "AllocationRequest",
    "AllocationResult",
    "DoctorAvailability",
    "OverbookDecision",
    "Plan",
    "PlanEntry",
    "PlanMove",
    "QueueState",
    "SlotLoad",
    "SlotSpec",
    "SolveStats",
    "SolverPolicy",
    "WaitingTicket",
    "allocate",
    "allocation_value",
    "apply_plan_if_current",
    "choose_plan",
    "diff_plans",
    "greedy_allocation",
    "greedy_plan",
    "greedy_result",
    "improves",
    "overbook_decision",
    "resequence",
    "with_previous",
]
