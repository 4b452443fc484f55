"""Patients' own accounts: sign-up with a code, password reset, invitations, dependants."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, field_validator, model_validator
from quart import Blueprint, Response, jsonify
from quart_schema import validate_request
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import codes, guardians, signup
from server.api.auth import begin_login, client_ip, forget_tokens, with_csrf_cookie
from server.api.fields import Day, Id, Line
from server.api.schemas import PHONE, Strict
from server.api.views import patient_out
from server.auth.codes import read_invite, sign_invite
from server.auth.passwords import hash_password
from server.auth.web import access, actor, public, requires
from server.errors import APIError
from server.i18n import LANGUAGES
from server.models import ContactPreference, Patient
from server.notify.accounts import account_sender
from server.notify.runtime import request_delivery
from server.services import clinic

bp = Blueprint("accounts", __name__, url_prefix="/api")

# Requests an address or a contact may make per login window (CLINIC_LOGIN_WINDOW_S): enough
# for a family at one door, too few to spray codes at strangers or guess them.
SENDS_PER_ADDRESS = 10
SENDS_PER_CONTACT = 3
TRIES_PER_ADDRESS = 30
Password = Annotated[str, Field(min_length=10, max_length=256)]
RequestKey = Annotated[str, Field(min_length=10, max_length=100)]
Code = Annotated[str, Field(pattern=r"^\d{6}$", description="the six digits sent")]


def _born(value: date) -> date:
    if value > date.today() or value.year < 1900:
        raise ValueError("date of birth must lie between 1900 and today")
    return value


def _phone(value: str | None) -> str | None:
    if value is not None and not PHONE.match(value):
        raise ValueError("phone must be in E.164 form, like +15551234567")
    return value


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"language must be one of {list(LANGUAGES)}")
    return value


class RegisterIn(Strict):
    full_name: Line = Field(min_length=2, max_length=200)
    date_of_birth: Day
    phone: str | None = Field(None, max_length=16, description="E.164, like +15551234567")
    email: EmailStr | None = Field(None, max_length=64)
    password: Password
    sex: Literal["F", "M", "X"] = "X"
    language: str = Field("en", max_length=16)
    channel: Literal["sms", "email"] | None = Field(None, description="default: the phone")

    @field_validator("date_of_birth")
    @classmethod
    def _check_born(cls, value: date) -> date:
        return _born(value)

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str | None) -> str | None:
        return _phone(value)

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        return _language(value)

    @model_validator(mode="after")
    def _contact(self) -> RegisterIn:
        if not self.phone and not self.email:
            raise ValueError("give a phone number or an e-mail address")
        return self


class VerifyIn(Strict):
    request_id: RequestKey
    code: Code


class ResetIn(Strict):
    login: str = Field(min_length=1, max_length=254, description="username, phone or e-mail")


class ResetVerifyIn(Strict):
    request_id: RequestKey
    code: Code
    new_password: Password


class ClaimIn(Strict):
    link: str = Field(min_length=10, max_length=500)
    password: Password


class InviteIn(Strict):
    channel: Literal["sms", "email"] | None = Field(None, description="default: as they chose")


class GuardianIn(Strict):
    user_id: Id


class DependantIn(Strict):
    full_name: Line = Field(min_length=2, max_length=200)
    date_of_birth: Day
    sex: Literal["F", "M", "X"] = "X"

    @field_validator("date_of_birth")
    @classmethod
    def _check_born(cls, value: date) -> date:
        return _born(value)


class PreferencesIn(Strict):
    contact_preference: ContactPreference | None = None
    language: str | None = Field(None, max_length=16)

    @field_validator("language")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        return _language(value) if value is not None else None


async def throttle(*keys: tuple[str, int]) -> None:
    """Count this request against each key; 429 once any has used up its allowance."""
    limiter = access().limiter
    for key, limit in keys:
        if await limiter.blocked(key, limit):
            raise APIError(429, "RATE_LIMITED", "too many requests; wait a few minutes")
    for key, _ in keys:
        await limiter.fail(key)


def person_out(patient: Patient, own_id: int | None) -> dict[str, Any]:
    """Show a patient the account acts for, with their preferences."""
    return {**patient_out(patient), "language": patient.language, "self": patient.id == own_id}


async def _logged_in(user_id: int, body: dict[str, Any], status: int) -> Response:
    services = clinic()
    csrf = await begin_login(services, user_id)
    response = with_csrf_cookie(services, jsonify({**body, "csrf_token": csrf}), csrf)
    response.status_code = status
    return response


@bp.post("/auth/register")
@public
@validate_request(RegisterIn)
async def register(data: RegisterIn) -> tuple[dict[str, Any], int]:
    """Start a sign-up: a one-time code goes to the phone or e-mail; confirm it to finish."""
    services = clinic()
    email = str(data.email).lower() if data.email else None
    channel, address = signup.contact_for(data.phone, email, data.channel)
    await throttle(
        (f"signup:address:{client_ip()}", SENDS_PER_ADDRESS),
        (f"signup:to:{address}", SENDS_PER_CONTACT),
    )
    new = signup.SignUp(
        full_name=" ".join(data.full_name.split()),
        date_of_birth=data.date_of_birth,
        phone=data.phone,
        email=email,
        password_hash=await hash_password(data.password),
        language=data.language,
        sex=data.sex,
        channel=channel,
    )
    send, key = account_sender(services.settings), services.settings.secret_key
    request_key = await services.run(
        lambda s: signup.start_signup(
            s, signup=new, secret_key=key, now=services.clock(), send=send
        )
    )
    await request_delivery(services)
    lifetime = int(codes.CODE_LIFETIME.total_seconds())
    return {"request_id": request_key, "channel": channel, "expires_in_s": lifetime}, 202


async def _count_try(purpose: str, request_key: str) -> None:
    services = clinic()
    await throttle((f"code:address:{client_ip()}", TRIES_PER_ADDRESS))
    await services.run(lambda s: codes.count_attempt(s, purpose, request_key))


@bp.post("/auth/register/verify")
@public
@validate_request(VerifyIn)
async def verify(data: VerifyIn) -> Response:
    """Finish a sign-up with its code: the record is matched or made, and the login starts."""
    services = clinic()
    await _count_try("signup", data.request_id)
    key = services.settings.secret_key
    account = await services.run(
        lambda s: signup.verify_signup(
            s, request_key=data.request_id, code=data.code, secret_key=key, now=services.clock()
        )
    )
    body = {
        "user": {"id": account.user.id, "username": account.user.username, "role": "patient"},
        "patient_id": account.patient.id,
        "record_number": account.patient.record_number,
    }
    return await _logged_in(account.user.id, body, 201)


@bp.post("/auth/reset")
@public
@validate_request(ResetIn)
async def reset(data: ResetIn) -> tuple[dict[str, Any], int]:
    """Ask for a reset code; the answer is the same whether or not the account exists."""
    services = clinic()
    login = data.login.strip()
    await throttle(
        (f"reset:address:{client_ip()}", SENDS_PER_ADDRESS),
        (f"reset:to:{login.lower()}", SENDS_PER_CONTACT),
    )
    send, key = account_sender(services.settings), services.settings.secret_key
    request_key = await services.run(
        lambda s: signup.start_reset(
            s, login=login, secret_key=key, now=services.clock(), send=send
        )
    )
    await request_delivery(services)
    lifetime = int(codes.CODE_LIFETIME.total_seconds())
    return {"request_id": request_key, "expires_in_s": lifetime}, 202


@bp.post("/auth/reset/verify")
@public
@validate_request(ResetVerifyIn)
async def reset_verify(data: ResetVerifyIn) -> Response:
    """Set a new password with a reset code: every other login ends, this browser logs in."""
    services = clinic()
    await _count_try("reset", data.request_id)
    hashed, key = await hash_password(data.new_password), services.settings.secret_key
    user = await services.run(
        lambda s: signup.confirm_reset(
            s,
            request_key=data.request_id,
            code=data.code,
            password_hash=hashed,
            secret_key=key,
            now=services.clock(),
        )
    )
    forget_tokens(services)
    return await _logged_in(user.id, {"ok": True, "username": user.username}, 200)


@bp.post("/auth/claim")
@public
@validate_request(ClaimIn)
async def claim(data: ClaimIn) -> Response:
    """Claim an invitation: set the password of the record's new login (the link works once)."""
    services = clinic()
    await throttle((f"claim:address:{client_ip()}", TRIES_PER_ADDRESS))
    max_age = int(signup.INVITE_LIFETIME.total_seconds())
    request_key = read_invite(services.settings.secret_key, data.link, max_age)
    hashed = await hash_password(data.password)
    account = await services.run(
        lambda s: signup.claim_invite(
            s, request_key=request_key, password_hash=hashed, now=services.clock()
        )
    )
    body = {
        "user": {"id": account.user.id, "username": account.user.username, "role": "patient"},
        "patient_id": account.patient.id,
    }
    return await _logged_in(account.user.id, body, 201)


@bp.post("/patients/<int:patient_id>/invite")
@requires("patient.invite")
@validate_request(InviteIn)
async def invite(patient_id: int, data: InviteIn) -> tuple[dict[str, Any], int]:
    """Send a patient a signed link, by SMS or e-mail, to set a password for their record."""
    services, who = clinic(), actor()
    settings = services.settings
    send = account_sender(settings)

    def link_for(request_key: str) -> str:
        return f"{settings.public_url}/claim/{sign_invite(settings.secret_key, request_key)}"

    sent = await services.run(
        lambda s: signup.invite_patient(
            s,
            who,
            patient_id=patient_id,
            channel=data.channel,
            now=services.clock(),
            secret_key=settings.secret_key,
            link_for=link_for,
            send=send,
        )
    )
    await request_delivery(services)
    # The link itself goes to the patient only: whoever holds it chooses the password.
    return {"patient_id": patient_id, "channel": sent.channel, "expires_at": sent.expires_at}, 201


@bp.post("/patients/<int:patient_id>/guardians")
@requires("patient.guardian")
@validate_request(GuardianIn)
async def add_guardian(patient_id: int, data: GuardianIn) -> tuple[dict[str, Any], int]:
    """Let a patient's login act for this patient (the desk, after checking in person)."""
    services, who = clinic(), actor()
    patient = await services.run(
        lambda s: guardians.link_guardian(
            s, who, patient_id=patient_id, user_id=data.user_id, now=services.clock()
        )
    )
    forget_tokens(services)
    return {**patient_out(patient), "guardian_user_id": data.user_id}, 201


@bp.get("/me/patients")
@requires("account.patients")
async def my_patients() -> dict[str, Any]:
    """List the patients the login acts for: its own record first, then its dependants."""
    who = actor()
    people = await clinic().read(lambda s: guardians.people_of(s, who))
    return {"patients": [person_out(p, who.patient_id) for p in people]}


@bp.post("/me/dependants")
@requires("account.patients")
@validate_request(DependantIn)
async def add_dependant(data: DependantIn) -> tuple[dict[str, Any], int]:
    """Add a dependant (a child) to the login: their record is found or made, never twice."""
    services, who = clinic(), actor()
    new = guardians.NewDependant(" ".join(data.full_name.split()), data.date_of_birth, data.sex)

    async def work(db: AsyncSession) -> Patient:
        return await guardians.add_dependant(db, who, new=new, now=services.clock())

    patient = await services.run(work)
    forget_tokens(services)
    return person_out(patient, who.patient_id), 201


@bp.patch("/me/patients/<int:patient_id>")
@requires("account.patients")
@validate_request(PreferencesIn)
async def preferences(patient_id: int, data: PreferencesIn) -> dict[str, Any]:
    """Choose how the patient is told (SMS, e-mail, none) and the language."""
    services, who = clinic(), actor()
    patient = await services.run(
        lambda s: guardians.set_preferences(
            s,
            who,
            patient_id=patient_id,
            now=services.clock(),
            contact_preference=data.contact_preference,
            language=data.language,
        )
    )
    return person_out(patient, who.patient_id)
