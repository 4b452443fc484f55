"""Scheduler settings from CLINIC_SOLVER_* environment variables (defined in server/tuning.py)."""

from __future__ import annotations

from server.tuning import SolverSettings

__all__ = ["SolverSettings"]
