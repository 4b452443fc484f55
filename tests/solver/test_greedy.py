"""The greedy plan: the rule order, emergency placement, and the move-back limit."""

from server.solver import greedy_plan
from tests.solver.factories import fast_policy, make_doctor, make_services, make_ticket


def _order(plan, doctor_id=1):  # type: ignore[no-untyped-def]
    return [e.ticket_id for e in plan.entries if e.doctor_id == doctor_id]


def test_emergency_then_urgent_then_routine_then_appointment_or_arrival() -> None:
    tickets = [
        make_ticket(ticket_id=1, arrived_at=-50),  # routine walk-in, arrived first
        make_ticket(ticket_id=2, appointment_at=-55, arrived_at=-5),  # routine, booked earlier
        make_ticket(ticket_id=3, urgency="urgent", arrived_at=-1),
        make_ticket(ticket_id=4, urgency="emergency", arrived_at=0),
        make_ticket(ticket_id=5, arrived_at=-40),
    ]

    plan = greedy_plan(make_services(tickets))

    assert _order(plan) == [4, 3, 2, 1, 5]
    assert plan.source == "greedy"
    assert [e.position for e in plan.entries] == [0, 1, 2, 3, 4]
    assert [e.start_min for e in plan.entries] == [0, 10, 20, 30, 40]


def test_emergency_goes_to_the_doctor_free_soonest() -> None:
    doctors = [make_doctor(doctor_id=1, free_at=20), make_doctor(doctor_id=2, free_at=5)]
    emergency = make_ticket(urgency="emergency", eligible_doctor_ids=(1, 2))

    plan = greedy_plan(make_services([emergency], doctors))

    (entry,) = plan.entries
    assert (entry.doctor_id, entry.position, entry.start_min) == (2, 0, 5)


def test_new_urgent_patients_never_push_a_routine_one_back_more_than_k() -> None:
    policy = fast_policy(max_moveback=2)
    waiting = make_ticket(ticket_id=1, previous_position=0, previous_doctor_id=1)
    urgent = [make_ticket(ticket_id=10 + k, urgency="urgent") for k in range(5)]

    plan = greedy_plan(make_services([waiting, *urgent]), policy)

    assert plan.entry(1).position == 2  # type: ignore[union-attr]


def test_a_new_emergency_may_push_past_k() -> None:
    policy = fast_policy(max_moveback=0)
    waiting = make_ticket(ticket_id=1, previous_position=0, previous_doctor_id=1)
    emergency = make_ticket(ticket_id=2, urgency="emergency")

    plan = greedy_plan(make_services([waiting, emergency]), policy)

    assert _order(plan) == [2, 1]


def test_ticket_whose_doctor_left_is_reported_unplaced() -> None:
    stranded = make_ticket(ticket_id=1, eligible_doctor_ids=(9,))

    plan = greedy_plan(make_services([stranded, make_ticket(ticket_id=2)]))

    assert plan.unplaced == (1,)
    assert _order(plan) == [2]
