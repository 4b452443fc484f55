"""Plans: staleness, choice between greedy and CP-SAT, and what changed for whom."""

from dataclasses import replace

from server.solver import apply_plan_if_current, choose_plan, diff_plans, greedy_plan, with_previous
from tests.solver.factories import make_services, make_ticket


def _plan(version: int, objective: float = 100.0):  # type: ignore[no-untyped-def]
    plan = greedy_plan(make_services([make_ticket(ticket_id=1)], state_version=version))
    return replace(plan, stats=replace(plan.stats, objective=objective))


def test_plan_from_an_older_state_is_never_applied() -> None:
    plan = _plan(version=4)

    assert apply_plan_if_current(plan, current_version=4)
    assert not apply_plan_if_current(plan, current_version=5)


def test_cheaper_plan_of_the_same_state_replaces_the_published_one() -> None:
    published = _plan(version=3, objective=100)
    better = replace(_plan(version=3, objective=80), source="cpsat")

    assert choose_plan(published, better) is better
    assert choose_plan(better, published) is better


def test_plan_for_an_older_state_never_replaces_a_newer_one() -> None:
    newer = _plan(version=5, objective=500)
    older_but_cheaper = _plan(version=4, objective=1)

    assert choose_plan(newer, older_but_cheaper) is newer
    assert choose_plan(None, older_but_cheaper) is older_but_cheaper


def test_diff_lists_who_moved_and_by_how_many_places() -> None:
    a, b, c = (make_ticket(ticket_id=i) for i in (1, 2, 3))
    old = greedy_plan(make_services([a, b, c]))
    urgent = make_ticket(ticket_id=4, urgency="urgent")
    new = greedy_plan(make_services([*with_previous([a, b, c], old), urgent], state_version=2))

    moves = {m.ticket_id: m for m in diff_plans(old, new)}

    assert moves[4].old_position is None and moves[4].new_position == 0
    assert moves[1].places_back == 1
    assert moves[3].old_start_min == 20 and moves[3].new_start_min == 30
