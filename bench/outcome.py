"""The standard comparison: the shared data's last week, 4 policies x 3 replications.

Demand: every booking of 2016-05-16..20 in the busiest health units of the Vitória file
(`MAX_DEPARTMENTS`, chosen by demand that week, never by outcome; see docs/simulation.md);
the no-show model trained on the days before. Prints one JSON object (the `clinic simulate`
line) with the machine's load average; exits 2 with a message if the data is absent.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILE = Path("shared", "data", "noshow", "vitoria_2016_appointments.csv")
# ../shared beside a clone; ../../shared beside a helper's worktree (/work/wt/<name>).
DATA = next(
    (p / FILE for p in (ROOT.parent, ROOT.parent.parent) if (p / FILE).exists()), ROOT.parent / FILE
)
MAX_DEPARTMENTS = 3
OUT = ROOT / "var" / "simulation" / "outcome"


def main() -> int:
    """Run the comparison and print its JSON."""
    data = Path(os.environ.get("CLINIC_NOSHOW_DATA", DATA))
    if not data.exists():
        print(
            f"bench/outcome.py: {data} is absent; the standard comparison needs the shared "
            "Vitória data (../shared/data/noshow/). Nothing was run.",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from tqdm import tqdm

    from server.simulation.report import write
    from server.simulation.study import Study, run_study

    load_before = Path("/proc/loadavg").read_text().split()[:3]
    study = Study(
        policies=("fcfs", "flat", "predictive", "predictive-base-rate"),
        days=5,
        replications=3,
        seed=1,
        appointments=data,
        train=data,
        max_departments=MAX_DEPARTMENTS,
        workers=2,
    )
    bar = tqdm(total=12, desc="policy-replications", file=sys.stderr)
    started = time.perf_counter()
    outcome = run_study(study, lambda done, total: bar.update(done - bar.n))
    bar.close()
    line = write(outcome, OUT)
    line["wall_s"] = round(time.perf_counter() - started, 1)
    line["load_avg_before"] = load_before
    line["load_avg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    line["max_departments"] = MAX_DEPARTMENTS
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
