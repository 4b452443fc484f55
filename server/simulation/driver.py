"""Drive async production code from SimPy: each action runs to completion at its instant.

A SimPy process yields `driver.act(work)`; the driver runs `work()` (an awaitable factory)
with the virtual clock at the process's time and resumes the process with the result (or
the raised exception). Jobs queued during an instant run when the instant is over, coalesced
by key as the in-process job runner coalesces them (a trigger during a run earns one more).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import simpy

from server.jobs import JobFunction

Work = Callable[[], Awaitable[Any]]
Process = Generator[simpy.Event, Any, Any]


@dataclass(frozen=True, slots=True)
class Failed:
    """An action raised; the process decides what that means."""

    error: Exception


@dataclass
class SimJobs:
    """The jobs of a simulated process: jobs run at the end of their instant."""

    functions: dict[str, JobFunction]
    ctx: dict[str, Any]
    queued: dict[str, tuple[str, tuple[Any, ...]]] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Queue `function(ctx, *args)`; a second trigger with the same key rides on the first."""
        if function not in self.functions:
            raise KeyError(f"unknown job {function!r}")
        self.queued[key or f"{function}:{len(self.queued)}"] = (function, args)

    async def run_queued(self) -> None:
        """Run every queued job (and any they queue) until none is left."""
        while self.queued:
            key, (function, args) = next(iter(self.queued.items()))
            del self.queued[key]
            self.runs[function] = self.runs.get(function, 0) + 1
            await self.functions[function](self.ctx, *args)

    async def close(self) -> None:
        """Nothing runs in the background."""


class Driver:
    """A SimPy environment in minutes from `origin`, and the bridge to async actions."""

    def __init__(self, origin: datetime, jobs: SimJobs) -> None:
        self.origin = origin
        self.env = simpy.Environment()
        self.jobs = jobs
        self.pending: list[tuple[Work, simpy.Event]] = []
        self.end_of_instant: list[Callable[[], Awaitable[None]]] = []

    def now(self) -> datetime:
        """Tell the virtual time."""
        return self.origin + timedelta(minutes=self.env.now)

    def minutes(self, moment: datetime) -> float:
        """Convert a datetime to simulation minutes."""
        return (moment - self.origin) / timedelta(minutes=1)

    def act(self, work: Work) -> simpy.Event:
        """Return an event that fires with the result of `work()` run at this instant."""
        event = self.env.event()
        self.pending.append((work, event))
        return event

    def at(self, moment: datetime, process: Callable[[], Process]) -> None:
        """Start `process` at `moment` (at once if it is past)."""
        delay = max(0.0, self.minutes(moment) - self.env.now)

        def starter() -> Process:
            yield self.env.timeout(delay)
            yield self.env.process(process())

        self.env.process(starter())

    async def run(self, until: float | None = None) -> None:
        """Step through events, running actions at their instants and jobs after them."""
        env = self.env
        while True:
            while self.pending:
                work, event = self.pending.pop(0)
                try:
                    event.succeed(await work())
                except Exception as error:  # handed to the process, which decides
                    event.succeed(Failed(error))
                # Let the resumed processes run at this same instant.
                while env.peek() == env.now and not self.pending:
                    env.step()
            if env.peek() > env.now:
                await self.jobs.run_queued()
                for hook in self.end_of_instant:
                    await hook()
                if self.pending:
                    continue
            following = env.peek()
            if following == float("inf") or (until is not None and following > until):
                return
            env.step()
