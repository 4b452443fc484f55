"""Reading a queue for the scheduler: a doctor who leaves early is available until then."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin, booking
from server.auth.actor import SYSTEM
from server.scheduling.reading import minutes, read_queue
from server.services import Services
from tests.conftest import T0
from tests.factories import make_department, make_doctor, make_patient, make_session

ELEVEN = T0 + timedelta(hours=2)


async def test_the_plan_sees_the_doctor_leave_at_the_early_close(services: Services) -> None:
    async def work(s: AsyncSession) -> tuple[int, int, int]:
        department = await make_department(s)
        leaving, staying = await make_doctor(s, department), await make_doctor(s, department)
        block = await make_session(s, leaving)
        await make_session(s, staying)
        for _ in range(3):
            patient = await make_patient(s)
            await booking.register_walk_in(
                s, SYSTEM, patient_id=patient.id, department_id=department.id, now=T0
            )
        await admin.close_session_early(
            s, SYSTEM, session_id=block.id, at=ELEVEN, reason="unwell", now=T0
        )
        return department.id, leaving.id, staying.id

    department_id, leaving, staying = await services.run(work)
    reading = await services.read(lambda s: read_queue(s, department_id, T0.date(), T0, 10.0))
    assert reading is not None
    ends = {d.doctor_id: d.session_end for d in reading.state.doctors}
    assert ends[leaving] == minutes(ELEVEN, reading.midnight) == 11 * 60
    assert ends[staying] == 13 * 60

    # Once gone, the doctor is out of the plan altogether.
    later = ELEVEN + timedelta(minutes=1)
    reading = await services.read(lambda s: read_queue(s, department_id, T0.date(), later, 10.0))
    assert reading is not None
    assert [d.doctor_id for d in reading.state.doctors] == [staying]
