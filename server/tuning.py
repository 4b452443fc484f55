"""How booking and the scheduler are tuned: the no-show scorer, the overbooking limit, the solver.

A neutral low module: the process state, the actions and the scheduler all read these types,
and none of them has to import another for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import datetime

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from server.ml.rates import BASE_NO_SHOW_RATE
from server.models import Department, Patient
from server.solver.policy import SolverPolicy

# Score a booking's no-show probability: (session, patient, department_id, scheduled_at, now).
Scorer = Callable[[AsyncSession, Patient, int, datetime | None, datetime], Awaitable[float]]


async def base_rate_scorer(
    db: AsyncSession,
    patient: Patient,
    department_id: int,
    scheduled_at: datetime | None,
    now: datetime,
) -> float:
    """Score with the department's historical no-show rate (until a model exists)."""
    # A get, not a SELECT: the booking path has already loaded the department.
    department = await db.get(Department, department_id)
    return float(department.base_no_show_rate if department is not None else BASE_NO_SHOW_RATE)


@dataclass(frozen=True, slots=True)
class OverbookPolicy:
    """How far a full slot may be overbooked: expected arrivals stay under capacity + slack."""

    max_expected_excess: float = 0.3  # SolverSettings.max_expected_excess, the same default


class SolverSettings(BaseSettings):
    """The knobs an admin tunes; every one documented in docs/scheduling.md."""

    model_config = SettingsConfigDict(env_prefix="CLINIC_SOLVER_", extra="ignore", frozen=True)

    # Overbooking: alpha_k = alpha_start + alpha_step * k (k = slot's index in its session).
    alpha_start: int = 40
    alpha_step: int = 5
    max_overbook_per_slot: int = 1
    max_expected_excess: float = 0.3
    # Re-sequencing: cost per place moved back; never more than max_moveback places. 0 by
    # default: a patient's place never rises unless an emergency, a returning or an urgent
    # patient is placed ahead (docs/architecture.md, "ahead").
    disruption_penalty: int = 10
    max_moveback: int = 0
    # Priority categories: at most this many later arrivals with priority ahead of anyone
    # (their passes are excused from max_moveback, but only this many); the cost of a
    # minute a priority patient starts beyond their maximum wait.
    max_priority_passes: int = 3
    overdue_penalty: int = 20
    # CP-SAT may move an "any doctor" patient between this many doctors.
    max_doctor_options: int = 2
    # CP-SAT's plan replaces the greedy one only when it saves at least this much cost
    # (routine patient-minutes of lateness) and this share of the greedy cost.
    min_improvement: int = 15
    min_improvement_ratio: float = 0.05
    # CP-SAT budgets (seconds of wall time, model building included).
    resequence_time_limit_s: float = 1.0
    allocation_time_limit_s: float = 5.0
    relative_gap_limit: float = 0.01
    num_workers: int = 2
    deterministic: bool = True

    def policy(self) -> SolverPolicy:
        """Return the solver policy with these values, defaults for the rest."""
        names = {f.name for f in fields(SolverPolicy)}
        return SolverPolicy(**{k: v for k, v in self.model_dump().items() if k in names})
