"""Shared CP-SAT plumbing: parameters, first-solution timing, statistics."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from server.solver.policy import SolverPolicy
from server.solver.types import SolveStats, SolveStatus

_STATUS: dict[cp_model.CpSolverStatus, SolveStatus] = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
}


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    """Record when the first feasible solution appears."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self._started = started
        self.first_s: float | None = None

    def on_solution_callback(self) -> None:
        """Keep the time of the first solution only."""
        if self.first_s is None:
            self.first_s = time.perf_counter() - self._started


def remaining(budget_s: float, started: float) -> float:
    """Return what is left of a wall-time budget, so model building counts against it."""
    return max(0.05, budget_s - (time.perf_counter() - started))


def make_solver(
    policy: SolverPolicy,
    time_limit_s: float,
    seed: int | None,
    *,
    lp_heavy: bool = False,
    share: float = 1.0,
) -> cp_model.CpSolver:
    """Return a solver configured from the policy."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = policy.num_workers
    params.random_seed = policy.random_seed if seed is None else seed
    params.max_time_in_seconds = time_limit_s
    params.relative_gap_limit = policy.relative_gap_limit
    if lp_heavy:
        # Measured on the allocation model: its LP relaxation is nearly integral, so one
        # worker that solves the root LP in full (no presolve, no lazy rows, no cuts)
        # reaches the optimum fastest; being single-threaded, it is also deterministic.
        # Hints only slowed it down (search follows the hint away from the LP optimum).
        params.num_workers = 1
        params.cp_model_presolve = False
        params.add_lp_constraints_lazily = False
        params.root_lp_iterations = 200_000
        params.cut_level = 0
        return solver
    # No repair_hint: with it CP-SAT 9.15 aborted the whole process on our models
    # ("Check failed: heuristics.fixed_search != nullptr"). Hints are made complete instead.
    if policy.deterministic:
        # One worker stopped by deterministic time gives the same plan for the same seed.
        # (interleave_search with two workers was 10x slower in wall time here.) The wall
        # limit stays as a cap: on an overloaded machine it may cut in first.
        params.num_workers = 1
        params.max_deterministic_time = policy.deterministic_time_limit * share
    return solver


def solve(
    model: cp_model.CpModel,
    policy: SolverPolicy,
    time_limit_s: float,
    seed: int | None,
    *,
    lp_heavy: bool = False,
    share: float = 1.0,
) -> tuple[cp_model.CpSolver, SolveStats]:
    """Solve the model and return the solver (for values) and its statistics."""
    # `share`: the fraction of the deterministic time limit this model may use.
    solver = make_solver(policy, time_limit_s, seed, lp_heavy=lp_heavy, share=share)
    started = time.perf_counter()
    callback = _FirstSolution(started)
    code = solver.solve(model, callback)
    final_s = time.perf_counter() - started
    status = _STATUS.get(code, "unknown")
    has_solution = status in ("optimal", "feasible")
    stats = SolveStats(
        status=status,
        objective=solver.objective_value if has_solution else 0.0,
        bound=solver.best_objective_bound if has_solution else 0.0,
        first_s=callback.first_s,
        final_s=final_s,
        seed=solver.parameters.random_seed,
    )
    return solver, stats
