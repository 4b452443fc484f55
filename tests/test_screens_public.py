"""The TV board page and the patient's phone page (by signed link, or logged in)."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from quart_auth import authenticated_client
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.secrets import sign_ticket
from server.auth.sessions import start_session
from server.models import Patient, Role, Ticket
from server.screens_public import bp
from server.services import Services
from tests.conftest import TEST_SECRET
from tests.factories import make_patient, make_user
from tests.realtime.conftest import ClinicDay, open_clinic


@pytest.fixture
def site(app: Quart) -> Client:
    """Return a client of the app with the public screens registered (as server/app.py does)."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    return app.test_client()


@pytest.fixture
async def day(services: Services) -> ClinicDay:
    """Open a small clinic."""
    return await open_clinic(services)


async def test_the_board_page_loads_its_script_and_keeps_its_key_private(
    site: Client,
) -> None:
    page = await site.get("/board?key=dk_anything")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "/displays/board.js" in await page.get_data(as_text=True)
    assert (await site.get("/displays/board.js")).status_code == 200
    assert (await site.get("/displays/board.html")).status_code == 404


async def test_a_signed_link_opens_the_ticket_page_without_a_password(
    site: Client, day: ClinicDay
) -> None:
    link = sign_ticket(TEST_SECRET, day.tickets[0])
    page = await site.get(f"/t/{link}")
    assert page.status_code == 200
    assert f'data-link="{link}"' in await page.get_data(as_text=True)


async def test_a_forged_link_says_so(site: Client, day: ClinicDay) -> None:
    page = await site.get(f"/t/{sign_ticket('another-secret', day.tickets[0])}")
    assert page.status_code == 401
    assert "not valid" in await page.get_data(as_text=True)


async def test_my_ticket_needs_a_login(site: Client) -> None:
    page = await site.get("/my")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/my"


async def test_a_logged_in_patient_sees_their_own_ticket(
    app: Quart, site: Client, services: Services, day: ClinicDay
) -> None:
    async def owner(db: AsyncSession) -> int:
        ticket = await db.get_one(Ticket, day.tickets[1])
        patient = await db.get_one(Patient, ticket.appointment.patient_id)
        return int(patient.user_id or 0)

    user_id = await services.read(owner)
    lifetime = services.settings.session_lifetime
    key = await services.run(lambda s: start_session(s, user_id, services.clock(), lifetime))
    async with authenticated_client(site, key):
        page = await site.get("/my")
    assert page.status_code == 200
    assert f'data-ticket="{day.tickets[1]}"' in await page.get_data(as_text=True)


async def test_a_patient_without_a_ticket_today_is_sent_to_their_visits(
    site: Client, services: Services
) -> None:
    async def patient_login(db: AsyncSession) -> int:
        user = await make_user(db, Role.PATIENT)
        await make_patient(db, user_id=user.id)
        return user.id

    user_id = await services.run(patient_login)
    lifetime = services.settings.session_lifetime
    key = await services.run(lambda s: start_session(s, user_id, services.clock(), lifetime))
    async with authenticated_client(site, key):
        page = await site.get("/my")
    assert page.status_code == 302 and page.headers["Location"] == "/my/visits"
