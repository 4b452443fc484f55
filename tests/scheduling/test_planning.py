"""The scheduler's plans: versioned by every change, never applied over a newer state."""

from __future__ import annotations

from datetime import timedelta

from quart import Quart
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking, queue
from server.auth.actor import SYSTEM
from server.jobs import InProcessJobs
from server.models import Doctor, Ticket
from server.queries.queues import department_snapshot
from server.scheduling import versions
from server.scheduling.applying import Applied, apply
from server.scheduling.planning import plan_from_json
from server.scheduling.reading import read_queue
from server.services import Services
from server.solver import greedy_plan
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session


async def open_department(services: Services, doctors: int = 2, walk_ins: int = 4) -> int:
    async def work(db: AsyncSession) -> int:
        department = await make_department(db)
        for _ in range(doctors):
            await make_session(db, await make_doctor(db, department))
        for _ in range(walk_ins):
            patient = await make_patient(db)
            await booking.register_walk_in(
                db, SYSTEM, patient_id=patient.id, department_id=department.id, now=T0
            )
        return department.id

    return await services.run(work)


async def version_of(services: Services, department_id: int) -> int:
    row = await services.read(lambda s: versions.current(s, department_id, T0.date()))
    return row.version if row else 0


async def settle(services: Services) -> None:
    assert isinstance(services.jobs, InProcessJobs)
    await services.jobs.drain()


async def test_every_change_to_a_queue_raises_its_version(app: Quart, services: Services) -> None:
    department_id = await open_department(services, walk_ins=2)
    before = await version_of(services, department_id)
    assert before == 2  # two walk-ins
    tickets = list(await services.read(lambda s: s.scalars(select(Ticket.id).order_by(Ticket.id))))
    await services.run(lambda s: booking.cancel(s, SYSTEM, ticket_id=tickets[0], now=T0))
    assert await version_of(services, department_id) == before + 1


async def test_a_plan_from_an_older_state_is_refused_and_changes_nothing(
    app: Quart, services: Services
) -> None:
    department_id = await open_department(services)
    await settle(services)
    reading = await services.read(lambda s: read_queue(s, department_id, T0.date(), T0, 10))
    assert reading is not None
    plan = greedy_plan(reading.state)
    patient = await services.run(lambda s: make_patient(s))
    await services.run(
        lambda s: booking.register_walk_in(
            s, SYSTEM, patient_id=patient.id, department_id=department_id, now=T0
        )
    )
    await settle(services)  # the walk-in's own re-plan has run
    ranks_before = list(
        await services.read(lambda s: s.scalars(select(Ticket.plan_rank).order_by(Ticket.id)))
    )
    outcome = await services.run(lambda s: apply(s, department_id, T0.date(), plan, T0))
    assert outcome is Applied.STALE
    assert (
        list(await services.read(lambda s: s.scalars(select(Ticket.plan_rank).order_by(Ticket.id))))
        == ranks_before
    )


async def test_an_emergency_is_planned_first_in_its_own_commit_and_announced_once(
    app: Quart, services: Services
) -> None:
    department_id = await open_department(services, doctors=1, walk_ins=5)
    await settle(services)
    seen: list[str] = []

    async def listen(events: object) -> None:
        seen.extend(e.kind for e in events)  # type: ignore[attr-defined]

    services.hub.subscribe(listen)
    patient = await services.run(lambda s: make_patient(s))
    emergency = await services.run(
        lambda s: queue.insert_emergency(
            s,
            SYSTEM,
            now=T0 + timedelta(minutes=1),
            department_id=department_id,
            patient_id=patient.id,
        )
    )
    # Planned in the emergency's own transaction: the one broadcast already shows it first.
    plan = await services.read(lambda s: versions.current(s, department_id, T0.date()))
    assert plan is not None and plan.plan is not None and plan.plan_version == plan.version
    stored = plan_from_json(plan.plan)
    assert stored is not None and stored.entries[0].ticket_id == emergency.id
    snapshot = await services.read(
        lambda s: department_snapshot(s, department_id, T0.date(), T0, names=False)
    )
    waiting = [t for t in snapshot["tickets"] if t["status"] == "waiting"]
    assert (waiting[0]["ticket_id"], waiting[0]["plan_rank"], waiting[0]["ahead"]) == (
        emergency.id,
        1,
        0,
    )
    await settle(services)
    # CP-SAT found nothing worth moving anyone for: no second, transient update.
    assert seen == ["emergency_inserted"]
    assert emergency.doctor_id is not None
    doctor_id = emergency.doctor_id
    called = await services.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=doctor_id, now=T0 + timedelta(minutes=2))
    )
    assert called.id == emergency.id


async def test_an_emergency_goes_to_the_doctor_free_first(app: Quart, services: Services) -> None:
    department_id = await open_department(services, doctors=2, walk_ins=2)
    first_doctor = await services.read(
        lambda s: s.scalar(
            select(Doctor.id).where(Doctor.department_id == department_id).order_by(Doctor.id)
        )
    )
    assert first_doctor is not None
    busy = await services.run(lambda s: queue.call_next(s, SYSTEM, doctor_id=first_doctor, now=T0))
    patient = await services.run(lambda s: make_patient(s))
    emergency = await services.run(
        lambda s: queue.insert_emergency(
            s, SYSTEM, now=T0, department_id=department_id, patient_id=patient.id
        )
    )
    assert emergency.doctor_id is not None and emergency.doctor_id != busy.doctor_id
