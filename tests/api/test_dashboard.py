"""GET /api/admin/dashboard: who may read it, what it refuses, and a day's figures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking, queue
from server.auth.actor import SYSTEM
from server.models import Role, Ticket
from tests.api.conftest import Clinic
from tests.conftest import T0, Clock
from tests.factories import make_department, make_patient

URL = "/api/admin/dashboard"


async def get(client: Client, c: Clinic, query: str = "", role: Role = Role.ADMIN) -> Any:
    response = await client.get(f"{URL}{query}", headers=c.headers(role))
    return response.status_code, await response.get_json()


async def test_only_admins_read_the_dashboard(clinic_day: Clinic, client: Client) -> None:
    assert (await get(client, clinic_day))[0] == 200
    for role in (Role.DOCTOR, Role.NURSE, Role.STAFF, Role.PATIENT):
        status, body = await get(client, clinic_day, role=role)
        assert (status, body["code"]) == (403, "FORBIDDEN")
    assert (await client.get(URL)).status_code == 401


async def test_bad_days_and_departments_are_refused_with_a_code(
    clinic_day: Clinic, client: Client
) -> None:
    cases = {
        "?day=yesterday": (400, "BAD_QUERY"),
        "?day=2030-02-30": (400, "BAD_QUERY"),
        "?day=0001-01-01": (400, "BAD_QUERY"),
        "?department_id=abc": (400, "BAD_QUERY"),
        "?department_id=-1": (400, "BAD_QUERY"),
        "?department_id=99999999999999999999": (400, "BAD_QUERY"),
        "?department_id=999999": (404, "DEPARTMENT_NOT_FOUND"),
    }
    for query, expected in cases.items():
        status, body = await get(client, clinic_day, query)
        assert (status, body["code"]) == expected, query
        assert set(body) == {"code", "message", "details"}


async def build_day(c: Clinic, clock: Clock) -> None:
    """Play a morning through the actions, moving the clock by hand."""

    async def run(work: Callable[[AsyncSession], Awaitable[Ticket]]) -> Ticket:
        return await c.services.run(work)

    async def walk_in(**more: Any) -> Ticket:
        async def work(s: AsyncSession) -> Ticket:
            patient = await make_patient(s)
            department = c.department.id
            if more.pop("emergency", False):
                return await queue.insert_emergency(
                    s, SYSTEM, now=clock(), department_id=department, patient_id=patient.id
                )
            return await booking.register_walk_in(
                s, SYSTEM, patient_id=patient.id, department_id=department, now=clock()
            )

        return await run(work)

    async def step(action: Callable[..., Awaitable[Ticket]], ticket: Ticket) -> Ticket:
        return await run(lambda s: action(s, SYSTEM, ticket_id=ticket.id, now=clock()))

    async def call_next() -> Ticket:
        doctor = c.doctor.id
        return await run(lambda s: queue.call_next(s, SYSTEM, doctor_id=doctor, now=clock()))

    await c.booked()  # the 08:00 slot: never comes
    late = await c.booked()  # the 08:15 slot: comes at 09:15
    first = await walk_in()  # 09:00
    clock.advance(minutes=1)
    gone = await walk_in()  # 09:01, leaves at 09:02
    clock.advance(minutes=1)
    await step(lambda s, a, **k: booking.cancel(s, a, **k), gone)
    clock.advance(minutes=8)
    assert (await call_next()).id == first.id  # waited 10 minutes
    clock.advance(minutes=2)
    await step(queue.start, first)  # 09:12
    clock.advance(minutes=3)
    await step(queue.check_in, late)  # 09:15
    clock.advance(minutes=12)
    await step(queue.complete, first)  # 09:27: 15 minutes with the doctor
    clock.advance(minutes=3)
    assert (await call_next()).id == late.id  # 09:30: waited 15 minutes
    await step(queue.start, late)
    clock.advance(minutes=10)
    await walk_in()  # 09:40, still waiting at the end
    clock.advance(minutes=5)
    emergency = await walk_in(emergency=True)  # 09:45
    clock.advance(minutes=5)
    await step(queue.complete, late)  # 09:50: 20 minutes with the doctor
    clock.advance(minutes=5)
    assert (await call_next()).id == emergency.id  # 09:55: waited 10 minutes
    await step(queue.start, emergency)


async def test_a_played_morning_gives_the_expected_figures(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    await build_day(clinic_day, clock)
    status, body = await get(client, clinic_day)
    assert status == 200, body
    totals = body["totals"]
    assert body["day"] == T0.date().isoformat()
    assert totals["tickets"] == 6
    assert {k: v for k, v in totals["by_status"].items() if v} == {
        "booked": 1,
        "waiting": 1,
        "in_consultation": 1,
        "completed": 2,
        "cancelled": 1,
    }
    assert (totals["walk_ins"], totals["online"], totals["emergencies"]) == (4, 2, 1)
    # Waits 10, 15, 10: median 10, p90 at rank 1.8 of (10, 10, 15) = 10 + 0.8 x 5.
    assert totals["wait_min"] == {"count": 3, "median": 10.0, "p90": 14.0}
    # Consultations 15 and 20: median 17.5, p90 = 15 + 0.9 x 5.
    assert totals["consultation_min"] == {"count": 2, "median": 17.5, "p90": 19.5}
    # Both bookings' slots are over; one never came. The base-rate scorer gave each 0.2.
    assert totals["no_shows"] == {
        "due": 2,
        "missed": 1,
        "rate": 0.5,
        "predicted": 0.2,
        "scored": 2,
    }
    assert totals["seen_per_hour"][9] == 2 and sum(totals["seen_per_hour"]) == 2
    assert [(d["name"], d["tickets"]) for d in body["departments"]] == [
        (clinic_day.department.name, 6)
    ]
    doctors = {d["name"]: (d["tickets"], d["by_status"]["completed"]) for d in body["doctors"]}
    assert doctors == {clinic_day.doctor.name: (4, 2), "Not yet assigned": (2, 0)}
    # The session runs 08:00-15:00; at 09:55, 115 minutes of it are over. Completed
    # consultations: 15 + 20 minutes (the emergency's has only begun).
    assert totals["capacity"] == {
        "doctor_days": 1,
        "session_min": 115.0,
        "consulted_min": 35.0,
        "idle_min": 80.0,
        "utilisation": round(35 / 115, 4),
        "overtime_mean_min": 0.0,
        "overtime_p90_min": 0.0,
    }
    doctor = next(d for d in body["doctors"] if d["id"] == clinic_day.doctor.id)
    assert doctor["capacity"]["utilisation"] == round(35 / 115, 4)
    shared = next(d for d in body["doctors"] if d["id"] is None)
    assert shared["capacity"]["utilisation"] is None


async def test_a_date_range_and_its_csv(clinic_day: Clinic, client: Client, clock: Clock) -> None:
    await build_day(clinic_day, clock)
    before = (T0 - timedelta(days=1)).date().isoformat()
    after = (T0 + timedelta(days=1)).date().isoformat()
    status, body = await get(client, clinic_day, f"?from={before}&to={after}")
    assert status == 200, body
    assert (body["from"], body["to"], body["totals"]["tickets"]) == (before, after, 6)
    response = await client.get(
        f"{URL}.csv?from={before}&to={after}", headers=clinic_day.headers(Role.ADMIN)
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = (await response.get_data(as_text=True)).splitlines()
    header = rows[0].split(",")
    total = dict(zip(header, rows[1].split(","), strict=True))
    assert (total["scope"], total["tickets"], total["seen"]) == ("total", "6", "2")
    assert total["utilisation"] == str(round(35 / 115, 4))
    assert [r.split(",")[0] for r in rows[1:]] == ["total", "department", "doctor", "doctor"]
    denied = await client.get(f"{URL}.csv", headers=clinic_day.headers(Role.STAFF))
    assert denied.status_code == 403


async def test_bad_ranges_are_refused_with_a_code(clinic_day: Clinic, client: Client) -> None:
    for query in (
        "?from=2030-03-05&to=2030-03-04",
        "?from=2030-01-01&to=2030-06-01",
        "?from=tomorrow",
        "?to=3001-01-01",
    ):
        status, body = await get(client, clinic_day, query)
        assert (status, body["code"]) == (400, "BAD_QUERY"), query


async def test_a_filter_or_another_day_shows_only_what_belongs_to_it(
    clinic_day: Clinic, client: Client, clock: Clock
) -> None:
    await build_day(clinic_day, clock)
    async with clinic_day.services.database() as db, db.begin():
        empty = await make_department(db, name="Zoology")
    status, body = await get(client, clinic_day, f"?department_id={empty.id}")
    assert status == 200 and body["totals"]["tickets"] == 0
    assert [d["name"] for d in body["departments"]] == ["Zoology"] and body["doctors"] == []
    tomorrow = (T0 + timedelta(days=1)).date().isoformat()
    status, body = await get(client, clinic_day, f"?day={tomorrow}")
    assert status == 200 and body["day"] == tomorrow and body["totals"]["tickets"] == 0
    status, body = await get(client, clinic_day, f"?department_id={clinic_day.department.id}")
    assert body["totals"]["tickets"] == 6


async def test_the_openapi_document_describes_the_dashboard(client: Client) -> None:
    spec = await (await client.get("/api/openapi.json")).get_json()
    operation = spec["paths"]["/api/admin/dashboard"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"day", "from", "to", "department_id"}
    assert "200" in operation["responses"]
    assert "/api/admin/dashboard.csv" in spec["paths"]
