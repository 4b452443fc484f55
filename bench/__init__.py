"""Benchmarks, each printing one JSON object (booking, fan-out, churn, solver, ML, notify)."""
