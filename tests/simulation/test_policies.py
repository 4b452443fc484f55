"""Policies are named configurations of production settings."""

from __future__ import annotations

import pytest

from server.simulation.policies import POLICIES, flat_slots, policy


def test_the_four_policies_and_an_overbooking_level() -> None:
    assert list(POLICIES) == ["fcfs", "flat", "predictive", "predictive-base-rate"]
    assert policy("predictive").max_expected_excess is None
    level = policy("predictive@0.6")
    assert (level.name, level.scorer, level.max_expected_excess) == ("predictive@0.6", "model", 0.6)
    for bad in ("lottery", "fcfs@0.6", "predictive@lots", "predictive@5"):
        with pytest.raises(ValueError):
            policy(bad)


def test_flat_spreads_the_expected_no_shows_over_the_session() -> None:
    # round(32 x 0.2) = 6 extra places, one every 32 / 6 = 5.33 slots: 0, 5.33, 10.67, 16, ...
    assert flat_slots(32, 0.2) == [0, 5, 10, 16, 21, 26]
    assert flat_slots(4, 0.1) == []
    assert len(flat_slots(20, 0.25)) == 5
