"""A stand-alone delivery loop: `python -m server.notify.runner [--until-empty]`.

For operators who send without an arq worker, for the crash tests and for the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict

from server.config import Settings
from server.notify.delivery import Report, deliver_due
from server.notify.runtime import make_notifications
from server.services import make_services


async def run(until_empty: bool, poll_s: float) -> Report:
    """Deliver until nothing is due (or forever, polling), then close everything."""
    services = make_services(Settings())
    runtime = make_notifications(services)
    total = Report()
    try:
        while True:
            report = await deliver_due(services, runtime.transports(), runtime.config)
            total.sent, total.failed = total.sent + report.sent, total.failed + report.failed
            total.retrying, total.batches = report.retrying, total.batches + report.batches
            if until_empty and not report.batches:
                return total
            if not report.batches:
                await asyncio.sleep(poll_s)
    finally:
        await runtime.close()
        await services.engine.dispose()


def main() -> None:
    """Parse arguments, deliver, print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--until-empty", action="store_true", help="stop when nothing is due")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between idle polls")
    args = parser.parse_args()
    report = asyncio.run(run(args.until_empty, args.poll))
    print(json.dumps(asdict(report)))


if __name__ == "__main__":
    main()
