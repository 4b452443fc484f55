"""The current plan as screens read it: presence, lateness, learned and moving ETAs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from quart import Quart
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking, queue
from server.actions.presence import set_desk
from server.auth.actor import SYSTEM
from server.queries.queues import department_snapshot
from server.services import Services
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session


async def two_doctors(services: Services) -> tuple[int, int, int]:
    async def work(db: AsyncSession) -> tuple[int, int, int]:
        department = await make_department(db)
        first = await make_doctor(db, department)
        second = await make_doctor(db, department)
        for doctor in (first, second):
            await make_session(db, doctor)
        return department.id, first.id, second.id

    return await services.run(work)


async def walk_in(services: Services, department_id: int, at: Any, **extra: Any) -> int:
    async def work(db: AsyncSession) -> int:
        patient = await make_patient(db)
        ticket = await booking.register_walk_in(
            db, SYSTEM, patient_id=patient.id, department_id=department_id, now=at, **extra
        )
        return ticket.id

    return await services.run(work)


async def open_desk(services: Services, doctor_id: int, at: Any) -> None:
    await services.run(lambda s: set_desk(s, SYSTEM, doctor_id=doctor_id, is_open=True, now=at))


async def consult(services: Services, doctor_id: int, at: Any, minutes: int) -> Any:
    """Call the doctor's next patient and see them for `minutes`; return the end time."""
    called = await services.run(lambda s: queue.call_next(s, SYSTEM, doctor_id=doctor_id, now=at))
    await services.run(lambda s: queue.start(s, SYSTEM, ticket_id=called.id, now=at))
    end = at + timedelta(minutes=minutes)
    await services.run(lambda s: queue.complete(s, SYSTEM, ticket_id=called.id, now=end))
    return end


async def snapshot(services: Services, department_id: int, at: Any) -> dict[str, Any]:
    return await services.read(
        lambda s: department_snapshot(s, department_id, at.date(), at, names=False)
    )


def planned(snap: dict[str, Any]) -> dict[int, int]:
    return {t["ticket_id"]: t["expected_doctor_id"] for t in snap["tickets"]}


async def test_a_late_doctor_gets_no_any_doctor_patient_but_keeps_their_own(
    app: Quart, services: Services
) -> None:
    department_id, working, late = await two_doctors(services)
    at = T0 + timedelta(minutes=11)  # past the 10-minute grace
    await services.run(lambda s: set_desk(s, SYSTEM, doctor_id=working, is_open=True, now=at))
    anyone = [await walk_in(services, department_id, at) for _ in range(3)]
    theirs = await walk_in(services, department_id, at, doctor_id=late)
    snap = await snapshot(services, department_id, at)
    doctors = {d["id"]: d for d in snap["doctors"]}
    assert doctors[late]["late"] and not doctors[late]["working"]
    assert doctors[working]["desk_open"] and doctors[working]["working"]
    assert {planned(snap)[t] for t in anyone} == {working}
    assert planned(snap)[theirs] == late
    assert doctors[working]["line"] == anyone


async def test_within_the_grace_period_both_doctors_share_the_walk_ins(
    app: Quart, services: Services
) -> None:
    department_id, working, other = await two_doctors(services)
    at = T0 + timedelta(minutes=5)
    await services.run(lambda s: set_desk(s, SYSTEM, doctor_id=working, is_open=True, now=at))
    tickets = [await walk_in(services, department_id, at) for _ in range(2)]
    snap = await snapshot(services, department_id, at)
    assert {planned(snap)[t] for t in tickets} == {working, other}
    assert not any(d["late"] for d in snap["doctors"])


async def test_a_closed_desk_hands_its_walk_ins_to_the_doctor_working_and_says_why(
    app: Quart, services: Services
) -> None:
    department_id, first, second = await two_doctors(services)
    for doctor in (first, second):
        await open_desk(services, doctor, T0)
    tickets = [await walk_in(services, department_id, T0) for _ in range(4)]
    before = planned(await snapshot(services, department_id, T0))
    assert set(before.values()) == {first, second}
    await services.run(lambda s: set_desk(s, SYSTEM, doctor_id=second, is_open=False, now=T0))
    snap = await snapshot(services, department_id, T0)
    assert {planned(snap)[t] for t in tickets} == {first}
    moved = {t["ticket_id"]: t for t in snap["tickets"] if before[t["ticket_id"]] == second}
    assert {t["moved_reason"] for t in moved.values()} == {"doctor_away"}


async def test_waits_learn_each_doctors_pace_and_move_as_a_consultation_runs_long(
    app: Quart, services: Services
) -> None:
    department_id, doctor, _other = await two_doctors(services)
    at = T0 + timedelta(minutes=1)
    await services.run(lambda s: set_desk(s, SYSTEM, doctor_id=doctor, is_open=True, now=at))
    waiting = [await walk_in(services, department_id, at, doctor_id=doctor) for _ in range(6)]
    [me] = [
        d for d in (await snapshot(services, department_id, at))["doctors"] if d["id"] == doctor
    ]
    assert me["per_patient_min"] == 10  # the configured default until enough are seen
    for _ in range(3):  # three consultations of 20 minutes each
        at = await consult(services, doctor, at, 20)
    snap = await snapshot(services, department_id, at)
    [me] = [d for d in snap["doctors"] if d["id"] == doctor]
    assert me["per_patient_min"] == 20
    last = next(t for t in snap["tickets"] if t["ticket_id"] == waiting[-1])
    assert (last["ahead"], last["wait_min"]) == (2, 40)

    called = await services.run(lambda s: queue.call_next(s, SYSTEM, doctor_id=doctor, now=at))
    await services.run(lambda s: queue.start(s, SYSTEM, ticket_id=called.id, now=at))
    etas = []
    for minutes in (10, 30, 40):  # on time, then 10 and 20 minutes over the usual 20
        moment = at + timedelta(minutes=minutes)
        mine = next(
            t
            for t in (await snapshot(services, department_id, moment))["tickets"]
            if t["ticket_id"] == waiting[-1]
        )
        etas.append(mine["eta"])
    assert etas[0] < etas[1] < etas[2]  # running long pushes the expected call time
