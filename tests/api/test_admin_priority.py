"""Priority categories through the API: admins define them, the desk checks patients in with
one, the queue order changes, the board sees only a neutral marker, the dashboard counts."""

from __future__ import annotations

import json
from typing import Any

from quart.typing import TestClientProtocol as Client

from server.auth.actor import SYSTEM
from server.models import AuditEvent, Role, Ticket
from server.queries.queues import department_snapshot, ticket_snapshot
from server.realtime.views import board_view
from tests.api.conftest import Clinic
from tests.conftest import T0
from tests.factories import make_patient

URL = "/api/admin/priority-categories"
NAME = "Pregnancy"


async def create(client: Client, c: Clinic, role: Role = Role.ADMIN, **body: Any) -> Any:
    response = await client.post(
        URL, json={"name": NAME, "weight": 3, "max_wait_min": 30} | body, headers=c.headers(role)
    )
    return response.status_code, await response.get_json()


async def patch(client: Client, c: Clinic, category_id: int, body: Any) -> Any:
    response = await client.patch(f"{URL}/{category_id}", json=body, headers=c.headers(Role.ADMIN))
    return response.status_code, await response.get_json()


async def check_in(client: Client, c: Clinic, ticket: Ticket, **body: Any) -> Any:
    response = await client.post(
        f"/api/tickets/{ticket.id}/check-in", json=body, headers=c.headers(Role.STAFF)
    )
    return response.status_code, await response.get_json()


async def audit_actions(c: Clinic) -> list[tuple[str, dict[str, Any]]]:
    from sqlalchemy import select

    rows = await c.services.read(lambda s: s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    return [(r.action, r.details or {}) for r in rows]


async def test_admins_define_edit_and_deactivate_categories_and_every_change_is_audited(
    clinic_day: Clinic, client: Client
) -> None:
    status, made = await create(client, clinic_day)
    assert status == 201, made
    assert made | {"id": 0} == {
        "id": 0,
        "name": NAME,
        "weight": 3,
        "max_wait_min": 30,
        "active": True,
    }
    status, edited = await patch(
        client, clinic_day, made["id"], {"weight": 5, "max_wait_min": None}
    )
    assert status == 200 and (edited["weight"], edited["max_wait_min"]) == (5, None)
    status, off = await patch(client, clinic_day, made["id"], {"active": False})
    assert status == 200 and off["active"] is False

    listed = await client.get(URL, headers=clinic_day.headers(Role.ADMIN))
    assert [c["name"] for c in (await listed.get_json())["categories"]] == [NAME]
    offered = await client.get("/api/priority-categories", headers=clinic_day.headers(Role.STAFF))
    assert offered.status_code == 200 and (await offered.get_json())["categories"] == []

    actions = [(a, d) for a, d in await audit_actions(clinic_day) if a.startswith("priority.")]
    assert [a for a, _ in actions] == ["priority.create", "priority.update", "priority.update"]
    assert actions[1][1]["before"] == {"weight": 3, "max_wait_min": 30}
    assert actions[1][1]["after"] == {"weight": 5, "max_wait_min": None}


async def test_bad_input_is_refused_with_a_code_and_changes_nothing(
    clinic_day: Clinic, client: Client
) -> None:
    for role in (Role.STAFF, Role.NURSE, Role.DOCTOR, Role.PATIENT):
        status, body = await create(client, clinic_day, role)
        assert (status, body["code"]) == (403, "FORBIDDEN"), role
    for bad in (
        {"weight": 0},
        {"weight": 11},
        {"weight": "3"},
        {"max_wait_min": 0},
        {"max_wait_min": 721},
        {"name": "   "},
        {"name": "x" * 61},
        {"colour": "red"},
    ):
        status, body = await create(client, clinic_day, **bad)
        assert (status, body["code"]) == (400, "VALIDATION_ERROR"), bad
    status, made = await create(client, clinic_day)
    assert status == 201
    status, body = await create(client, clinic_day, name=NAME.upper())
    assert (status, body["code"]) == (409, "PRIORITY_CATEGORY_EXISTS")
    status, body = await patch(client, clinic_day, 999, {"weight": 2})
    assert (status, body["code"]) == (404, "PRIORITY_CATEGORY_NOT_FOUND")
    for bad in ({"name": None}, {"weight": None}, {"active": None}, {"active": "no"}):
        status, body = await patch(client, clinic_day, made["id"], bad)
        assert (status, body["code"]) == (400, "VALIDATION_ERROR"), bad
    listed = await client.get(URL, headers=clinic_day.headers(Role.ADMIN))
    assert (await listed.get_json())["categories"] == [made]


async def test_check_in_refuses_an_unknown_or_inactive_category_and_changes_nothing(
    clinic_day: Clinic, client: Client
) -> None:
    ticket = await clinic_day.booked()
    status, body = await check_in(client, clinic_day, ticket, priority_category_id=999)
    assert (status, body["code"]) == (404, "PRIORITY_CATEGORY_NOT_FOUND")
    _, made = await create(client, clinic_day)
    await patch(client, clinic_day, made["id"], {"active": False})
    status, body = await check_in(client, clinic_day, ticket, priority_category_id=made["id"])
    assert (status, body["code"]) == (422, "PRIORITY_CATEGORY_INACTIVE")
    status, body = await check_in(client, clinic_day, ticket, priority_category_id="1")
    assert (status, body["code"]) == (400, "VALIDATION_ERROR")
    row = await clinic_day.services.read(lambda s: s.get(Ticket, ticket.id))
    assert row is not None and row.appointment.status.value == "booked"
    # The body stays optional: a check-in without one works as before.
    response = await client.post(
        f"/api/tickets/{ticket.id}/check-in", headers=clinic_day.headers(Role.STAFF)
    )
    assert response.status_code == 200


async def waiting_order(c: Clinic) -> list[int]:
    snapshot = await c.services.read(
        lambda s: department_snapshot(s, c.department.id, T0.date(), T0, names=True)
    )
    return [t["ticket_id"] for t in snapshot["tickets"] if t["status"] == "waiting"]


async def two_walk_ins(c: Clinic) -> list[Ticket]:
    async with c.services.database() as db, db.begin():
        third = await make_patient(db)
    return [await c.walk_in(), await c.walk_in(third)]


async def test_without_a_category_a_check_in_joins_the_end_of_the_line(
    clinic_day: Clinic, client: Client
) -> None:
    walk_ins = await two_walk_ins(clinic_day)
    booked = await clinic_day.booked()
    assert (await check_in(client, clinic_day, booked))[0] == 200
    assert await waiting_order(clinic_day) == [walk_ins[0].id, walk_ins[1].id, booked.id]


async def test_a_category_at_check_in_moves_the_patient_up_and_only_staff_see_its_name(
    clinic_day: Clinic, client: Client
) -> None:
    walk_ins = await two_walk_ins(clinic_day)
    booked = await clinic_day.booked()
    _, made = await create(client, clinic_day)
    status, body = await check_in(client, clinic_day, booked, priority_category_id=made["id"])
    assert status == 200, body
    assert await waiting_order(clinic_day) == [booked.id, walk_ins[0].id, walk_ins[1].id]

    # Staff: the desk's and the console's snapshot names the category.
    queue = await client.get(
        f"/api/departments/{clinic_day.department.id}/queue", headers=clinic_day.headers(Role.STAFF)
    )
    mine = next(t for t in (await queue.get_json())["tickets"] if t["ticket_id"] == booked.id)
    assert mine["priority_category"] == {"id": made["id"], "name": NAME}
    # Others were told why they have one more ahead, without the category.
    assert {t["moved_reason"] for t in (await queue.get_json())["tickets"]} >= {"priority_ahead"}

    # The board and the patient's phone: a neutral marker, never the category's name.
    snapshot = await clinic_day.services.read(
        lambda s: department_snapshot(s, clinic_day.department.id, T0.date(), T0, names=True)
    )
    board = board_view(snapshot)
    assert [t["priority"] for t in board["next"]] == [True, False, False]
    phone = await clinic_day.services.read(lambda s: ticket_snapshot(s, booked.id, T0))
    mine_public = await client.get(
        f"/api/tickets/{booked.id}", headers=clinic_day.headers(Role.PATIENT)
    )
    for seen in (board, phone, await mine_public.get_json()):
        text = json.dumps(seen)
        assert NAME not in text and "priority_category" not in text

    actions = await audit_actions(clinic_day)
    checked_in = [details for action, details in actions if action == "check_in"]
    assert [d.get("priority_category_id") for d in checked_in] == [made["id"]]


async def test_the_dashboard_reports_waits_per_category(clinic_day: Clinic, client: Client) -> None:
    await two_walk_ins(clinic_day)
    booked = await clinic_day.booked()
    _, made = await create(client, clinic_day)
    await check_in(client, clinic_day, booked, priority_category_id=made["id"])
    from server.actions import queue

    await clinic_day.services.run(
        lambda s: queue.call_next(s, SYSTEM, doctor_id=clinic_day.doctor.id, now=T0)
    )
    response = await client.get("/api/admin/dashboard", headers=clinic_day.headers(Role.ADMIN))
    body = await response.get_json()
    rows = {row["name"]: row for row in body["categories"]}
    assert rows[NAME]["tickets"] == 1 and rows[NAME]["wait_min"]["count"] == 1
    assert rows[NAME]["max_wait_min"] == 30 and rows[NAME]["over_max_wait"] == 0
    assert rows["No priority category"]["waiting"] == 2
    csv = await client.get("/api/admin/dashboard.csv", headers=clinic_day.headers(Role.ADMIN))
    assert f"priority_category,{made['id']},{NAME}" in await csv.get_data(as_text=True)


async def test_a_walk_in_registered_with_a_category_goes_before_the_routine_line(
    clinic_day: Clinic, client: Client
) -> None:
    walk_ins = await two_walk_ins(clinic_day)
    _, made = await create(client, clinic_day)
    body = {
        "patient_id": clinic_day.patient.id,
        "department_id": clinic_day.department.id,
        "priority_category_id": 999,
    }
    headers = clinic_day.headers(Role.STAFF)
    refused = await client.post("/api/walk-ins", json=body, headers=headers)
    assert (refused.status_code, (await refused.get_json())["code"]) == (
        404,
        "PRIORITY_CATEGORY_NOT_FOUND",
    )
    assert await waiting_order(clinic_day) == [walk_ins[0].id, walk_ins[1].id]
    response = await client.post(
        "/api/walk-ins", json=body | {"priority_category_id": made["id"]}, headers=headers
    )
    assert response.status_code == 201, await response.get_json()
    ticket_id = (await response.get_json())["ticket_id"]
    assert await waiting_order(clinic_day) == [ticket_id, walk_ins[0].id, walk_ins[1].id]
