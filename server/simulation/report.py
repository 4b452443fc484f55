"""Write a study's results: results.json, results.md, PNG plots and an HTML report."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from server.simulation.study import Outcome, headline_json

# The original design's claims, for the table's last column.
CLAIMS = {
    "wait": "about 30 % lower mean wait than first-come-first-served",
    "utilisation": "doctor utilisation from about 52 % to 56.29 %",
}
COLUMNS = (
    ("utilisation", "utilisation"),
    ("wait_mean_min", "wait mean (min)"),
    ("wait_p90_min", "wait p90 (min)"),
    ("overtime_mean_min", "overtime mean (min)"),
    ("emergency_p95_min", "emergency p95 (min)"),
    ("seen", "seen"),
    ("unseen", "unseen"),
    ("refused", "refused"),
    ("eta_error_p90_min", "wait error p90 (min)"),
    ("next_true_share", '"you are next" true'),
)


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return "-"
    ci = row.get(f"{key}_ci95")
    text = f"{value:.1%}" if key == "utilisation" else f"{value:g}"
    if ci and key == "utilisation":
        text += f" ({ci[0]:.1%} to {ci[1]:.1%})"
    elif ci:
        text += f" ({ci[0]:.1f} to {ci[1]:.1f})"
    return text


def markdown(outcome: Outcome) -> str:
    """Return the results table with the original's claims beside it."""
    meta = outcome.meta
    lines = [
        f"Demand: {meta['appointments']}, {meta['days']} days x {meta['replications']} "
        f"replications, seed {meta['seed']}; means over replications with 95 % intervals.",
        "",
        "| policy | " + " | ".join(label for _, label in COLUMNS) + " |",
        "| --- | " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    for row in outcome.policies:
        lines.append(f"| {row['name']} | " + " | ".join(_cell(row, k) for k, _ in COLUMNS) + " |")
    by_name = {p["name"]: p for p in outcome.policies}
    lines += ["", "Beside the original design's claims:", ""]
    base, pred = by_name.get("fcfs"), by_name.get("predictive")
    if base and pred and base.get("wait_mean_min") and pred.get("wait_mean_min") is not None:
        change = pred["wait_mean_min"] / base["wait_mean_min"] - 1
        lines.append(f"- mean wait, predictive against fcfs: {change:+.0%} ({CLAIMS['wait']})")
    if base and pred and base.get("utilisation") is not None:
        lines.append(
            f"- utilisation: fcfs {base['utilisation']:.1%}, predictive "
            f"{pred['utilisation']:.1%} ({CLAIMS['utilisation']})"
        )
    return "\n".join(lines) + "\n"


def plots(outcome: Outcome, out: Path) -> list[str]:
    """Draw the wait distributions, utilisation against overtime, queue length by hour."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [p["name"] for p in outcome.policies]
    files = []
    fig, ax = plt.subplots(figsize=(7, 4))
    data = [[w for r in outcome.runs if r["policy"] == n for w in r["waits"]] or [0] for n in names]
    ax.boxplot(data, whis=(5, 95), showfliers=False)
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set_ylabel("wait, minutes (whiskers 5-95 %)")
    ax.set_title("Waits per policy")
    fig.tight_layout()
    fig.savefig(out / "waits.png", dpi=90)
    files.append("waits.png")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    for n in names:
        mine = [r for r in outcome.runs if r["policy"] == n]
        ax.scatter(
            [r["overtime_mean_min"] or 0 for r in mine],
            [100 * (r["utilisation"] or 0) for r in mine],
            label=n,
        )
    ax.set_xlabel("overtime per doctor-day, minutes")
    ax.set_ylabel("utilisation, %")
    ax.set_title("Utilisation against overtime (each dot a replication)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "utilisation_overtime.png", dpi=90)
    files.append("utilisation_overtime.png")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    for n in names:
        lines: list[list[float]] = [r["queue_by_hour"] for r in outcome.runs if r["policy"] == n]
        hours = [sum(h[i] for h in lines) / len(lines) for i in range(24)]
        ax.plot(range(24), hours, marker="o", label=n)
    ax.set_xlim(6, 20)
    ax.set_xlabel("hour of the day (UTC)")
    ax.set_ylabel("patients waiting (on the hour)")
    ax.set_title("Queue length by hour")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "queue_by_hour.png", dpi=90)
    files.append("queue_by_hour.png")
    plt.close(fig)
    return files


def write(outcome: Outcome, out: Path) -> dict[str, Any]:
    """Write every output into `out`; return the headline JSON."""
    out.mkdir(parents=True, exist_ok=True)
    line = headline_json(outcome)
    slim = [{k: v for k, v in r.items() if k != "waits"} for r in outcome.runs]
    (out / "results.json").write_text(
        json.dumps(
            {"headline": line, "policies": outcome.policies, "runs": slim, "meta": outcome.meta},
            indent=1,
            default=str,
        )
    )
    table = markdown(outcome)
    (out / "results.md").write_text(table)
    images = plots(outcome, out)
    body = "".join(f'<p><img src="{name}" alt="{name}"></p>' for name in images)
    (out / "report.html").write_text(
        "<!doctype html><meta charset=utf-8><title>Clinic simulation</title>"
        f"<h1>Clinic simulation</h1><pre>{html.escape(table)}</pre>{body}"
    )
    return line
