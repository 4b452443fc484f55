"""Each page's language: the switch, its cookie, the user's, the patient's, the display's, the
browser's; `<html lang>` and the texts follow it."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from quart_auth import authenticated_client
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.datastructures import Headers

from server.auth.secrets import sign_ticket
from server.auth.sessions import start_session
from server.models import Appointment, Display, Patient, Ticket, User
from server.models.users import Role
from server.services import Services
from tests.conftest import TEST_SECRET
from tests.factories import make_user
from tests.realtime.conftest import ClinicDay, open_clinic


@pytest.fixture
async def day(services: Services) -> ClinicDay:
    """Open a small clinic."""
    return await open_clinic(services)


async def page(client: Client, path: str, **headers: str) -> tuple[str, Headers]:
    answer = await client.get(path, headers=headers)
    assert answer.status_code == 200, path
    return await answer.get_data(as_text=True), answer.headers


async def test_the_switch_shows_a_page_in_portuguese_and_remembers_it(client: Client) -> None:
    html, headers = await page(client, "/login?lang=pt-BR")
    assert '<html lang="pt-BR">' in html
    assert "Usuário" in html and ">Entrar<" in html
    assert headers["Content-Language"] == "pt-BR"
    assert "lang=pt-BR" in headers["Set-Cookie"]
    # The cookie keeps the choice on the next page, which has the switch to every language.
    html, _ = await page(client, "/")
    assert '<html lang="pt-BR">' in html and "Escolha onde você trabalha" in html
    assert 'href="/?lang=es"' in html and 'aria-current="true"' in html


async def test_without_a_choice_the_browsers_language_is_used(client: Client) -> None:
    html, _ = await page(client, "/login", **{"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in html and "Iniciar sesión" in html
    html, _ = await page(client, "/login", **{"Accept-Language": "fr-FR, de;q=0.8"})
    assert '<html lang="en">' in html  # none of ours: the clinic's language


async def test_a_staff_member_gets_their_own_language(
    app: Quart, client: Client, services: Services
) -> None:
    async def nurse(db: AsyncSession) -> int:
        return (await make_user(db, Role.NURSE, language="es")).id

    user_id = await services.run(nurse)
    key = await services.run(
        lambda s: start_session(s, user_id, services.clock(), services.settings.session_lifetime)
    )
    async with authenticated_client(client, key):
        html, _ = await page(client, "/desk")
        assert '<html lang="es">' in html and "Buscar un paciente" in html
        assert "Recepción y enfermería" in html  # the page's title, from Python
        html, _ = await page(client, "/desk?lang=pt-BR")  # the switch wins
        assert "Buscar um paciente" in html


async def test_a_patients_phone_page_is_in_their_language(
    client: Client, services: Services, day: ClinicDay
) -> None:
    async def speak_portuguese(db: AsyncSession) -> None:
        ticket = await db.get_one(Ticket, day.tickets[0])
        appointment = await db.get_one(Appointment, ticket.appointment_id)
        await db.execute(
            update(Patient).where(Patient.id == appointment.patient_id).values(language="pt-BR")
        )

    await services.run(speak_portuguese)
    html, _ = await page(client, f"/t/{sign_ticket(TEST_SECRET, day.tickets[0])}")
    assert '<html lang="pt-BR">' in html and "Sua senha" in html


async def test_a_forged_link_is_refused_in_the_pages_language(client: Client) -> None:
    answer = await client.get("/t/forged?lang=es")
    assert answer.status_code == 401
    assert "Este enlace no es válido" in await answer.get_data(as_text=True)


async def test_the_board_shows_its_displays_language(
    client: Client, services: Services, day: ClinicDay
) -> None:
    await services.run(lambda s: s.execute(update(Display).values(language="pt-BR")))
    html, _ = await page(client, f"/board?key={day.display_key}")
    assert '<html lang="pt-BR">' in html and "Toque para ativar o som" in html
    # A switch cookie left on the TV's browser does not win over the display; `lang` does.
    client.set_cookie("localhost", "lang", "es")
    html, _ = await page(client, f"/board?key={day.display_key}")
    assert '<html lang="pt-BR">' in html
    html, _ = await page(client, f"/board?key={day.display_key}&lang=es")
    assert '<html lang="es">' in html and "Toque para activar el sonido" in html


async def test_an_unknown_language_is_ignored(client: Client, services: Services) -> None:
    html, headers = await page(client, "/login?lang=xx")
    assert '<html lang="en">' in html
    assert "Set-Cookie" not in headers or "lang=" not in headers["Set-Cookie"]
    assert await services.read(lambda s: s.get(User, 1)) is None  # nothing was written
