"""The admin's outbox page: list by status, resend a failed message; nobody else may."""

from __future__ import annotations

from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Role
from server.notify.api import bp
from tests.factories import make_token, make_user
from tests.notify.conftest import Clinic
from tests.notify.fake_twilio import FakeTwilio


async def bearer(clinic: Clinic, role: Role) -> dict[str, str]:
    async def work(s: AsyncSession) -> str:
        return await make_token(s, await make_user(s, role))

    return {"Authorization": f"Bearer {await clinic.run(work)}"}


async def failed_message(clinic: Clinic, fake_twilio: FakeTwilio) -> int:
    fake_twilio.unassigned.add("+15557770001")
    await clinic.book(await clinic.patient(phone="+15557770001"))
    await clinic.book(await clinic.patient(phone="+15557770002"), at_minutes=15)
    await clinic.settle()
    [failed] = await clinic.outbox(to_address="+15557770001")
    return failed.id


def register(client: Client) -> None:
    app = client.app
    if "outbox" not in app.blueprints:
        app.register_blueprint(bp)


async def test_the_admin_sees_failed_messages_and_resends_them(
    clinic: Clinic, client: Client, fake_twilio: FakeTwilio
) -> None:
    register(client)
    message_id = await failed_message(clinic, fake_twilio)
    admin = await bearer(clinic, Role.ADMIN)

    listing = await client.get("/api/admin/outbox?status=failed", headers=admin)
    assert listing.status_code == 200
    body = await listing.get_json()
    assert body["counts"]["failed"] == 1 and body["counts"]["sent"] == 1
    [shown] = body["messages"]
    assert shown["id"] == message_id and "21211" in shown["last_error"]

    fake_twilio.unassigned.clear()  # the number was fixed at the provider's end
    resent = await client.post(f"/api/admin/outbox/{message_id}/resend", headers=admin)
    assert resent.status_code == 200
    assert (await resent.get_json())["status"] == "pending"
    await clinic.settle()
    assert [m["To"] for m in fake_twilio.messages].count("+15557770001") == 1
    again = await client.post(f"/api/admin/outbox/{message_id}/resend", headers=admin)
    assert again.status_code == 409
    assert (await again.get_json())["code"] == "NOT_FAILED"


async def test_bad_queries_get_clear_errors(
    clinic: Clinic, client: Client, fake_twilio: FakeTwilio
) -> None:
    register(client)
    admin = await bearer(clinic, Role.ADMIN)
    wrong_status = await client.get("/api/admin/outbox?status=lost", headers=admin)
    assert wrong_status.status_code == 400
    assert "status must be one of" in (await wrong_status.get_json())["message"]
    wrong_limit = await client.get("/api/admin/outbox?limit=0", headers=admin)
    assert wrong_limit.status_code == 400
    missing = await client.post("/api/admin/outbox/999999/resend", headers=admin)
    assert missing.status_code == 404
    assert (await missing.get_json())["code"] == "OUTBOX_MESSAGE_NOT_FOUND"


async def test_only_admins_may_see_the_outbox(
    clinic: Clinic, client: Client, fake_twilio: FakeTwilio
) -> None:
    register(client)
    message_id = await failed_message(clinic, fake_twilio)
    assert (await client.get("/api/admin/outbox")).status_code == 401
    for role in (Role.STAFF, Role.DOCTOR, Role.PATIENT):
        headers = await bearer(clinic, role)
        assert (await client.get("/api/admin/outbox", headers=headers)).status_code == 403
        resend = await client.post(f"/api/admin/outbox/{message_id}/resend", headers=headers)
        assert resend.status_code == 403
