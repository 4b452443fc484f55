"""The set-up actions: what each change tells the screens, and the rules that keep a clinic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin, booking, setup
from server.actions.booking import SlotChoice
from server.auth.actor import SYSTEM
from server.errors import Conflict, Unauthenticated
from server.events import EventKind, QueueEvent
from server.models import Doctor, Role, User
from server.realtime.auth import display_for_key
from server.scheduling import versions
from server.services import Services
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session, make_user


async def version(services: Services, department_id: int) -> int:
    row = await services.read(lambda s: versions.current(s, department_id, T0.date()))
    return row.version if row is not None else 0


def collect(services: Services) -> list[QueueEvent]:
    seen: list[QueueEvent] = []

    async def listen(events: Sequence[QueueEvent]) -> None:
        seen.extend(events)

    services.hub.subscribe(listen)
    return seen


async def test_a_doctors_edit_redraws_and_replans_their_department_today(
    services: Services,
) -> None:
    doctor = await services.run(lambda s: make_doctor(s))
    before = await version(services, doctor.department_id)
    seen = collect(services)
    await services.run(
        lambda s: setup.update_doctor(
            s, SYSTEM, doctor_id=doctor.id, changes={"name": "Dr. New"}, now=T0
        )
    )
    [event] = seen
    assert (event.kind, event.department_id, event.day) == (
        EventKind.SETUP_CHANGED,
        doctor.department_id,
        T0.date().isoformat(),
    )
    assert event.extra == {"what": "doctor", "id": doctor.id}
    assert await version(services, doctor.department_id) == before + 1


async def test_an_edit_that_changes_nothing_writes_nothing(services: Services) -> None:
    doctor = await services.run(lambda s: make_doctor(s))
    seen = collect(services)
    await services.run(
        lambda s: setup.update_doctor(
            s, SYSTEM, doctor_id=doctor.id, changes={"name": doctor.name}, now=T0
        )
    )
    assert seen == []


async def test_revoking_a_key_ends_its_access_and_a_new_key_opens_it(services: Services) -> None:
    async def make(s: AsyncSession) -> tuple[int, str]:
        display, key = await admin.create_display(
            s, SYSTEM, name="Hall", department_id=None, now=T0
        )
        return display.id, key

    display_id, key = await services.run(make)
    seen = collect(services)
    await services.run(lambda s: setup.revoke_display(s, SYSTEM, display_id=display_id, now=T0))
    assert [(e.kind, e.extra) for e in seen] == [
        (EventKind.ACCESS_ENDED, {"display_id": display_id})
    ]
    with pytest.raises(Unauthenticated):
        await services.read(lambda s: display_for_key(s, key))
    _display, fresh = await services.run(
        lambda s: setup.new_display_key(s, SYSTEM, display_id=display_id, now=T0)
    )
    opened = await services.read(lambda s: display_for_key(s, fresh))
    assert opened.id == display_id and opened.active
    with pytest.raises(Unauthenticated):
        await services.read(lambda s: display_for_key(s, key))


async def test_the_last_active_admin_stays(services: Services) -> None:
    admin_user = await services.run(lambda s: make_user(s, Role.ADMIN))
    for changes in ({"active": False}, {"role": Role.STAFF}):
        with pytest.raises(Conflict) as refused:
            await services.run(
                lambda s, c=changes: setup.update_user(  # type: ignore[misc]
                    s, SYSTEM, user_id=admin_user.id, changes=c, now=T0
                )
            )
        assert refused.value.code == "LAST_ADMIN"
    await services.run(lambda s: make_user(s, Role.ADMIN))
    await services.run(
        lambda s: setup.update_user(
            s, SYSTEM, user_id=admin_user.id, changes={"active": False}, now=T0
        )
    )
    row = await services.read(lambda s: s.get(User, admin_user.id))
    assert row is not None and not row.active


async def test_open_visits_count_bookings_to_come_and_todays_queue(services: Services) -> None:
    async def work(s: AsyncSession) -> Doctor:
        department = await make_department(s)
        doctor = await make_doctor(s, department)
        await make_session(s, doctor)
        tomorrow = T0 + timedelta(days=1)
        await make_session(s, doctor, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=2))
        for at in (T0 + timedelta(hours=1), tomorrow):
            patient = await make_patient(s)
            await booking.book(
                s,
                SYSTEM,
                patient_id=patient.id,
                choice=SlotChoice(doctor_id=doctor.id, starts_at=at),
                now=T0 - timedelta(hours=1),
            )
        patient = await make_patient(s)
        await booking.register_walk_in(
            s,
            SYSTEM,
            patient_id=patient.id,
            department_id=department.id,
            doctor_id=doctor.id,
            now=T0,
        )
        return doctor

    doctor = await services.run(work)
    visits = await services.read(lambda s: setup.open_visits(s, doctor.id, T0))
    assert (visits.bookings, visits.queued) == (2, 1)
    assert visits.first_at == T0 + timedelta(hours=1)
    with pytest.raises(Conflict) as refused:
        await services.run(
            lambda s: setup.update_doctor(
                s, SYSTEM, doctor_id=doctor.id, changes={"active": False}, now=T0
            )
        )
    assert refused.value.details == {
        "bookings": 2,
        "queued": 1,
        "first_at": (T0 + timedelta(hours=1)).isoformat(),
    }
    still = await services.read(lambda s: s.get(Doctor, doctor.id))
    assert still is not None and still.active
