"""Every job the server can enqueue has a worker that runs it, with a timeout of its own."""

from __future__ import annotations

from server.background.registry import FUNCTIONS
from server.jobs import LIVE_JOBS
from server.tuning import SolverSettings
from workers.settings import NIGHTLY_JOBS, functions, timeouts


def test_every_registered_job_has_a_timeout() -> None:
    assert set(timeouts(SolverSettings())) == set(FUNCTIONS)


def test_the_two_queues_together_run_every_registered_job_once() -> None:
    names = [
        f.name
        for queue in (LIVE_JOBS, NIGHTLY_JOBS)
        for f in functions(queue, SolverSettings(), lease_s=30)
    ]
    assert sorted(names) == sorted(FUNCTIONS)
