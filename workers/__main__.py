"""`python -m workers [--queue live|nightly] [--check]`: what `clinic worker` hands over to."""

from __future__ import annotations

import argparse
import sys

from workers import run


def main() -> None:
    """Run the worker of a queue, or exit 0 if it is healthy and 1 if not (--check)."""
    parser = argparse.ArgumentParser(prog="clinic worker", description=__doc__)
    parser.add_argument("--queue", choices=["live", "nightly"], default="live")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        healthy, said = run.check(args.queue)
        print(said)
        sys.exit(0 if healthy else 1)
    run.run(args.queue)


if __name__ == "__main__":
    main()
