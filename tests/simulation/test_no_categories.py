"""A simulated day without priority categories plays exactly as before categories existed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.simulation import baseline_day


async def test_a_category_less_day_shows_every_patient_the_same_plans(tmp_path: Path) -> None:
    recorded = json.loads(baseline_day.GOLDEN.read_text())
    played = json.loads(json.dumps(await baseline_day.play(tmp_path)))
    assert played["visits"] == recorded["visits"]
    assert played["shown"] == recorded["shown"]
