"""Stack dumps on a signal: what a stalled server process is doing, for its operator."""

from __future__ import annotations

import asyncio
import faulthandler
import io
import signal
import sys
from types import FrameType


def install() -> None:
    """Dump every thread's stack on SIGUSR1 and every asyncio task's stack on SIGUSR2 (stderr)."""
    # The process's own stderr (its log), even where a runner has replaced sys.stderr.
    if sys.__stderr__ is None:
        return
    try:
        faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=True)
    except (io.UnsupportedOperation, ValueError, AttributeError):
        return  # no file descriptor to write to: nowhere to dump
    signal.signal(signal.SIGUSR2, _dump_tasks)


def _dump_tasks(_signal: int, _frame: FrameType | None) -> None:
    try:
        loop = asyncio.get_running_loop()  # the handler runs in the loop's (main) thread
    except RuntimeError:
        return
    out = io.StringIO()
    tasks = asyncio.all_tasks(loop)
    out.write(f"--- {len(tasks)} asyncio tasks ---\n")
    for task in tasks:
        out.write(f"{task!r}\n")
        out.writelines(f"  {line}\n" for line in _awaiting(task))
    if sys.__stderr__ is not None:
        sys.__stderr__.write(out.getvalue())
        sys.__stderr__.flush()


def _awaiting(task: asyncio.Task[object]) -> list[str]:
    """Return the task's whole chain of awaits, outermost first (`print_stack` shows one)."""
    lines: list[str] = []
    awaited: object = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            lines.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return lines
