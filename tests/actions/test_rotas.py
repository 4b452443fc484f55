"""Weekly rotas as actions: four weeks of sessions, a holiday, leave and an edit, confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking, rotas
from server.actions.booking import SlotChoice
from server.actions.rotas import Rules
from server.auth.actor import SYSTEM
from server.errors import DomainError
from server.models import Appointment, AuditEvent, Doctor, DoctorSession, OutboxMessage, Slot
from server.queue.state import TicketStatus
from server.services import Services
from tests.conftest import T0
from tests.factories import make_doctor, make_patient

RULES = Rules(ZoneInfo("UTC"), weeks_ahead=4)
MONDAY = T0.date()  # T0 is Monday 4 March 2030, 09:00 UTC
MONDAYS = [MONDAY + timedelta(weeks=k) for k in range(4)]


@dataclass
class Rota:
    doctor: Doctor
    template_id: int


async def monday_rota(services: Services) -> Rota:
    """A doctor with Mondays 10:00-12:00 in 15-minute slots, and its first four weeks."""

    async def work(s: AsyncSession) -> Rota:
        doctor = await make_doctor(s)
        row = await rotas.create_template(
            s,
            SYSTEM,
            doctor_id=doctor.id,
            weekday=0,
            start_time=time(10),
            end_time=time(12),
            valid_from=MONDAY,
            now=T0,
            rules=RULES,
        )
        await rotas.generate(s, SYSTEM, now=T0, rules=RULES)
        return Rota(doctor, row.id)

    return await services.run(work)


async def sessions_of(services: Services, doctor: Doctor) -> list[DoctorSession]:
    rows = await services.read(
        lambda s: s.scalars(
            select(DoctorSession)
            .where(DoctorSession.doctor_id == doctor.id)
            .order_by(DoctorSession.starts_at)
        )
    )
    return list(rows.unique())


async def book(services: Services, doctor: Doctor, day: date, hour: int = 10) -> Appointment:
    async def work(s: AsyncSession) -> Appointment:
        person = await make_patient(s)
        starts_at = T0.replace(hour=hour) + (day - MONDAY)
        ticket = await booking.book(
            s,
            SYSTEM,
            patient_id=person.id,
            choice=SlotChoice(doctor_id=doctor.id, starts_at=starts_at),
            now=T0,
        )
        return ticket.appointment

    return await services.run(work)


async def count(services: Services, query: Any) -> int:
    return int(await services.read(lambda s: s.scalar(query)) or 0)


async def test_a_template_makes_four_weeks_of_sessions_once(services: Services) -> None:
    rota = await monday_rota(services)
    sessions = await sessions_of(services, rota.doctor)
    assert [s.starts_at.date() for s in sessions] == MONDAYS
    assert all(s.template_id == rota.template_id for s in sessions)
    assert all((s.starts_at.hour, s.ends_at.hour) == (10, 12) for s in sessions)
    slots = await count(
        services, select(func.count(Slot.id)).where(Slot.session_id == sessions[0].id)
    )
    assert slots == 8
    again = await services.run(lambda s: rotas.generate(s, SYSTEM, now=T0, rules=RULES))
    assert again == []
    a_week_later = T0 + timedelta(weeks=1)
    more = await services.run(lambda s: rotas.generate(s, SYSTEM, now=a_week_later, rules=RULES))
    assert [b.starts_at.date() for b in more] == [MONDAY + timedelta(weeks=4)]
    audits = await count(
        services, select(func.count(AuditEvent.id)).where(AuditEvent.action == "rota.generate")
    )
    assert audits == 2


async def test_a_holiday_lists_then_cancels_its_bookings_and_messages_the_patients(
    services: Services,
) -> None:
    rota = await monday_rota(services)
    holiday = MONDAYS[1]
    booked = await book(services, rota.doctor, holiday)
    other_day = await book(services, rota.doctor, MONDAYS[2])

    affected = await services.read(
        lambda s: rotas.preview_away(s, starts_on=holiday, ends_on=holiday, now=T0, rules=RULES)
    )
    assert [a.starts_at.date() for a in affected] == [holiday]
    assert rotas.appointment_ids(affected) == [booked.id]

    with pytest.raises(DomainError) as refused:
        await services.run(
            lambda s: rotas.add_away(
                s,
                SYSTEM,
                starts_on=holiday,
                ends_on=holiday,
                reason="Carnival",
                confirmed=[],
                now=T0,
                rules=RULES,
            )
        )
    assert refused.value.code == "AFFECTS_BOOKINGS"
    assert refused.value.details["appointment_ids"] == [booked.id]

    done = await services.run(
        lambda s: rotas.add_away(
            s,
            SYSTEM,
            starts_on=holiday,
            ends_on=holiday,
            reason="Carnival",
            confirmed=[booked.id],
            now=T0,
            rules=RULES,
        )
    )
    assert done.cancelled == (booked.id,)
    statuses = dict(
        (await services.read(lambda s: s.execute(select(Appointment.id, Appointment.status)))).all()
    )
    assert statuses[booked.id] is TicketStatus.CANCELLED
    assert statuses[other_day.id] is TicketStatus.BOOKED
    messages = list(
        await services.read(
            lambda s: s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "rota_cancelled"))
        )
    )
    assert [m.appointment_id for m in messages] == [booked.id]
    assert "clinic is closed" in messages[0].body
    # The holiday's session stays as a closed record (it held a booking); nothing is bookable.
    sessions = await sessions_of(services, rota.doctor)
    closed = [s for s in sessions if s.starts_at.date() == holiday]
    assert closed and closed[0].closed_early_at == closed[0].starts_at
    open_places = await count(
        services, select(func.sum(Slot.capacity)).where(Slot.session_id == closed[0].id)
    )
    assert open_places == 0
    assert await services.run(lambda s: rotas.generate(s, SYSTEM, now=T0, rules=RULES)) == []


async def test_leave_removes_unbooked_sessions_and_lifting_it_makes_them_again(
    services: Services,
) -> None:
    rota = await monday_rota(services)
    week = (MONDAYS[2], MONDAYS[2] + timedelta(days=4))
    done = await services.run(
        lambda s: rotas.add_away(
            s,
            SYSTEM,
            starts_on=week[0],
            ends_on=week[1],
            reason="conference",
            confirmed=[],
            doctor_id=rota.doctor.id,
            now=T0,
            rules=RULES,
        )
    )
    assert done.cancelled == () and len(done.withdrawn) == 1
    days = [s.starts_at.date() for s in await sessions_of(services, rota.doctor)]
    assert days == [MONDAYS[0], MONDAYS[1], MONDAYS[3]]
    assert await services.run(lambda s: rotas.generate(s, SYSTEM, now=T0, rules=RULES)) == []

    lifted = await services.run(
        lambda s: rotas.lift_away(s, SYSTEM, leave_id=done.row.id, now=T0, rules=RULES)
    )
    assert len(lifted.created) == 1
    days = [s.starts_at.date() for s in await sessions_of(services, rota.doctor)]
    assert days == MONDAYS


async def test_editing_a_template_withdraws_only_the_sessions_it_changes(
    services: Services,
) -> None:
    rota = await monday_rota(services)
    late = await book(services, rota.doctor, MONDAYS[3], hour=11)
    changes = {"end_time": time(11)}
    affected = await services.read(
        lambda s: rotas.preview_template_change(
            s, template_id=rota.template_id, changes=changes, now=T0, rules=RULES
        )
    )
    assert len(affected) == 4
    assert rotas.appointment_ids(affected) == [late.id]
    done = await services.run(
        lambda s: rotas.update_template(
            s,
            SYSTEM,
            template_id=rota.template_id,
            changes=changes,
            confirmed=[late.id],
            now=T0,
            rules=RULES,
        )
    )
    assert done.cancelled == (late.id,)
    # Three sessions were never booked: made again at 10-11; the fourth stays a closed record.
    assert len(done.created) == 3
    open_sessions = [
        s for s in await sessions_of(services, rota.doctor) if s.closed_early_at is None
    ]
    assert [(s.starts_at.date(), s.ends_at.hour) for s in open_sessions] == [
        (d, 11) for d in MONDAYS[:3]
    ]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"start_time": time(12), "end_time": time(10)}, "ENDS_BEFORE_START"),
        ({"start_time": time(10), "end_time": time(10, 10)}, "SHORTER_THAN_SLOT"),
        ({"valid_to": MONDAY - timedelta(days=1)}, "VALID_TO_BEFORE_VALID_FROM"),
        ({"valid_from": MONDAY + timedelta(days=400)}, "BEYOND_HORIZON"),
        ({"start_time": time(11), "end_time": time(13)}, "TEMPLATE_OVERLAP"),
    ],
)
async def test_bad_templates_are_refused_with_a_code(
    services: Services, fields: dict[str, Any], code: str
) -> None:
    rota = await monday_rota(services)
    values: dict[str, Any] = {
        "doctor_id": rota.doctor.id,
        "weekday": 0,
        "start_time": time(14),
        "end_time": time(16),
        "valid_from": MONDAY,
    } | fields
    with pytest.raises(DomainError) as refused:
        await services.run(
            lambda s: rotas.create_template(s, SYSTEM, now=T0, rules=RULES, **values)
        )
    assert refused.value.code == code
