"""Patients on their own: sign up with a code, reset a password with one, claim an invitation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.codes import SELF_SERVICE, AccountMessage, Send, issue, open_request
from server.actions.common import audit
from server.actions.matching import match_patient
from server.actions.patients import NewPatient, create_patient
from server.auth.actor import Actor
from server.auth.sessions import end_every_login
from server.errors import Conflict, Invalid, Unauthenticated, not_found
from server.models import AccountCode, ContactPreference, Patient, Role, User

INVITE_LIFETIME = timedelta(days=7)
CHANNEL_PREFERENCE = {"sms": ContactPreference.SMS, "email": ContactPreference.EMAIL}


@dataclass(frozen=True, slots=True)
class SignUp:
    """What a person gives to sign up (the password already hashed)."""

    full_name: str
    date_of_birth: date
    phone: str | None
    email: str | None
    password_hash: str
    language: str = "en"
    sex: str = "X"
    channel: str | None = None  # where the code goes; default the phone, else the e-mail


@dataclass(frozen=True, slots=True)
class Account:
    """A login and the patient record it is tied to."""

    user: User
    patient: Patient


def contact_for(phone: str | None, email: str | None, channel: str | None) -> tuple[str, str]:
    """Choose where a code goes: the channel asked for, else the phone, else the e-mail."""
    if channel == "email" or (channel is None and not phone):
        if not email:
            raise Invalid("CONTACT_REQUIRED", "give an e-mail address to get the code by e-mail")
        return "email", email.lower()
    if not phone:
        raise Invalid("CONTACT_REQUIRED", "give a phone number to get the code by SMS")
    return "sms", phone


def username_for(address: str) -> str | None:
    """Return the login name a contact gives (the e-mail or phone itself), if it fits."""
    return address.lower() if len(address) <= 64 else None


async def start_signup(
    db: AsyncSession, *, signup: SignUp, secret_key: str, now: datetime, send: Send
) -> str:
    """Hold a sign-up until its code comes back; send the code. Return the request key.

    Nothing here says whether the phone or e-mail already has an account: the answer and
    the message are the same either way, and only who holds the contact can go on.
    """
    channel, address = contact_for(signup.phone, signup.email, signup.channel)
    payload = {
        "full_name": signup.full_name,
        "date_of_birth": signup.date_of_birth.isoformat(),
        "phone": signup.phone,
        "email": signup.email.lower() if signup.email else None,
        "password_hash": signup.password_hash,
        "language": signup.language,
        "sex": signup.sex,
    }
    issued = await issue(
        db,
        purpose="signup",
        secret_key=secret_key,
        now=now,
        channel=channel,
        to_address=address,
        payload=payload,
    )
    audit(
        db,
        SELF_SERVICE,
        "account.signup",
        None,
        details={"request_id": issued.row.id, "channel": channel},
        now=now,
    )
    message = AccountMessage(
        "signup_code", channel, address, signup.language, str(issued.row.id), {"code": issued.code}
    )
    await send(db, message, now)
    return issued.request_key


async def _new_login(
    db: AsyncSession, *, username: str, password_hash: str, patient: Patient, now: datetime
) -> User:
    if await db.scalar(select(User.id).where(User.username == username)):
        raise Conflict(
            "ACCOUNT_EXISTS",
            "this phone or e-mail already has an account: log in, or reset the password",
        )
    user = User(
        username=username,
        password_hash=password_hash,
        role=Role.PATIENT,
        full_name=patient.full_name,
        language=patient.language,
        active=True,
        created_at=now,
    )
    try:
        async with db.begin_nested():  # two sign-ups racing: the unique index decides
            db.add(user)
    except IntegrityError:
        raise Conflict(
            "ACCOUNT_EXISTS",
            "this phone or e-mail already has an account: log in, or reset the password",
        ) from None
    patient.user_id = user.id
    return user


async def verify_signup(
    db: AsyncSession, *, request_key: str, code: str, secret_key: str, now: datetime
) -> Account:
    """Confirm a sign-up: match the person's record or create it (never twice); make the login.

    409 ASK_THE_DESK when the record is ambiguous, 409 ACCOUNT_EXISTS when it has a login.
    """
    row = await open_request(
        db,
        purpose="signup",
        request_key=request_key,
        code=code,
        secret_key=secret_key,
        now=now,
    )
    data = row.payload
    username = username_for(row.to_address)
    if username is None:
        raise Invalid("CONTACT_TOO_LONG", "this e-mail address is too long to log in with")
    born = date.fromisoformat(data["date_of_birth"])
    patient = await match_patient(
        db,
        full_name=data["full_name"],
        date_of_birth=born,
        phone=data["phone"],
        email=data["email"],
    )
    matched = patient is not None
    if patient is not None:
        patient = await db.get(Patient, patient.id, with_for_update=True)
    if patient is not None and patient.user_id is not None:
        raise Conflict(
            "ACCOUNT_EXISTS", "this record already has an account: log in, or reset the password"
        )
    if patient is None:
        new = NewPatient(
            full_name=data["full_name"],
            date_of_birth=born,
            sex=data["sex"],
            phone=data["phone"],
            email=data["email"],
            contact_preference=CHANNEL_PREFERENCE[row.channel],
        )
        patient = await create_patient(db, SELF_SERVICE, new, now=now)
    patient.language = data["language"]
    user = await _new_login(
        db, username=username, password_hash=data["password_hash"], patient=patient, now=now
    )
    actor = Actor(user.id, Role.PATIENT, user.full_name, patient_id=patient.id)
    details = {"user_id": user.id, "patient_id": patient.id, "matched": matched}
    audit(db, actor, "account.verify", None, details=details, now=now)
    return Account(user, patient)


async def _login_holder(db: AsyncSession, login: str) -> tuple[User, Patient] | None:
    """Find the patient login a username, phone or e-mail names (patients only)."""
    text = login.strip().lower()
    user = await db.scalar(select(User).where(User.username == text, User.role == Role.PATIENT))
    if user is not None:
        patient = await db.scalar(select(Patient).where(Patient.user_id == user.id))
        return (user, patient) if patient is not None else None
    patients = list(
        await db.scalars(
            select(Patient)
            .where(Patient.user_id.is_not(None), (Patient.phone == login) | (Patient.email == text))
            .limit(2)
        )
    )
    if len(patients) != 1:  # none, or a contact several logins share: the desk helps
        return None
    user = await db.get(User, patients[0].user_id)
    return (user, patients[0]) if user is not None and user.role is Role.PATIENT else None


def _reset_contact(login: str, patient: Patient) -> tuple[str, str] | None:
    """Send a reset code where the login points, else where the patient wants messages."""
    if "@" in login and patient.email:
        return "email", patient.email
    if login.startswith("+") and patient.phone:
        return "sms", patient.phone
    if patient.contact_preference is ContactPreference.EMAIL and patient.email:
        return "email", patient.email
    if patient.phone:
        return "sms", patient.phone
    return ("email", patient.email) if patient.email else None


async def start_reset(
    db: AsyncSession, *, login: str, secret_key: str, now: datetime, send: Send
) -> str:
    """Send a reset code to the account's contact; the same answer if there is no account."""
    holder = await _login_holder(db, login)
    contact = _reset_contact(login, holder[1]) if holder and holder[0].active else None
    # A request is stored even for no account: its code exists nowhere, so nothing opens it.
    values: dict[str, Any] = {"channel": "", "to_address": ""}
    if holder is not None and contact is not None:
        values = {"user_id": holder[0].id, "channel": contact[0], "to_address": contact[1]}
    issued = await issue(db, purpose="reset", secret_key=secret_key, now=now, **values)
    details = {"request_id": issued.row.id, "found": contact is not None}
    audit(db, SELF_SERVICE, "account.reset_request", None, details=details, now=now)
    if holder is not None and contact is not None:
        message = AccountMessage(
            "reset_code",
            contact[0],
            contact[1],
            holder[1].language,
            str(issued.row.id),
            {"code": issued.code},
        )
        await send(db, message, now)
    return issued.request_key


async def confirm_reset(
    db: AsyncSession,
    *,
    request_key: str,
    code: str,
    password_hash: str,
    secret_key: str,
    now: datetime,
) -> User:
    """Set a new password with a reset code; every login and bearer token of the user ends."""
    row = await open_request(
        db, purpose="reset", request_key=request_key, code=code, secret_key=secret_key, now=now
    )
    user = await db.get(User, row.user_id, with_for_update=True) if row.user_id else None
    if user is None or not user.active:
        raise Invalid("CODE_EXPIRED", "this code has expired or was used; ask for a new one")
    user.password_hash = password_hash
    await end_every_login(db, user.id)
    actor = Actor(user.id, user.role, user.full_name)
    audit(db, actor, "user.password_reset", None, details={"user_id": user.id}, now=now)
    return user


def _invite_contact(patient: Patient, channel: str | None) -> tuple[str, str]:
    wanted = channel or (
        "email" if patient.contact_preference is ContactPreference.EMAIL else "sms"
    )
    address = patient.email if wanted == "email" else patient.phone
    if address:
        return wanted, address
    other = "sms" if wanted == "email" else "email"
    address = patient.phone if other == "sms" else patient.email
    if channel is None and address:
        return other, address
    raise Invalid(
        "NO_CONTACT",
        f"the patient has no {'e-mail' if wanted == 'email' else 'phone'} to send the link to",
        {"channel": wanted},
    )


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation sent: the request key its link carries, where it went."""

    request_key: str
    channel: str
    expires_at: datetime


async def invite_patient(
    db: AsyncSession,
    actor: Actor,
    *,
    patient_id: int,
    channel: str | None,
    now: datetime,
    secret_key: str,
    link_for: Callable[[str], str],
    send: Send,
) -> Invitation:
    """Send a patient a link that sets a password for their record; earlier links stop working."""
    patient = await db.get(Patient, patient_id, with_for_update=True)
    if patient is None:
        raise not_found("patient", patient_id)
    if patient.user_id is not None:
        raise Conflict("ACCOUNT_EXISTS", "this patient already has an account")
    chosen, address = _invite_contact(patient, channel)
    await db.execute(
        update(AccountCode)
        .where(
            AccountCode.patient_id == patient.id,
            AccountCode.purpose == "invite",
            AccountCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    issued = await issue(
        db,
        purpose="invite",
        secret_key=secret_key,
        now=now,
        lifetime=INVITE_LIFETIME,
        patient_id=patient.id,
        channel=chosen,
        to_address=address,
    )
    details = {"patient_id": patient.id, "channel": chosen, "request_id": issued.row.id}
    audit(db, actor, "patient.invite", None, details=details, now=now)
    facts = {"link": link_for(issued.request_key), "name": patient.full_name}
    message = AccountMessage("invite", chosen, address, patient.language, str(issued.row.id), facts)
    await send(db, message, now)
    return Invitation(issued.request_key, chosen, issued.row.expires_at)


async def claim_invite(
    db: AsyncSession, *, request_key: str, password_hash: str, now: datetime
) -> Account:
    """Set the password of an invited patient's new login (the link works once).

    The login name is the contact the link went to; if another login has it already (a
    parent's phone on a child's record), the record number.
    """
    try:
        row = await open_request(db, purpose="invite", request_key=request_key, now=now)
    except Invalid:
        raise Unauthenticated(
            "LINK_USED", "this link was used or replaced; log in, or ask the desk for a new one"
        ) from None
    patient = await db.get(Patient, row.patient_id, with_for_update=True)
    if patient is None:
        raise Unauthenticated("LINK_INVALID", "this invitation link is not valid")
    if patient.user_id is not None:
        raise Conflict("ACCOUNT_EXISTS", "this patient already has an account: log in")
    username = username_for(row.to_address)
    if username is None or await db.scalar(select(User.id).where(User.username == username)):
        username = patient.record_number.lower()
    user = await _new_login(
        db, username=username, password_hash=password_hash, patient=patient, now=now
    )
    actor = Actor(user.id, Role.PATIENT, user.full_name, patient_id=patient.id)
    details = {"user_id": user.id, "patient_id": patient.id, "request_id": row.id}
    audit(db, actor, "account.claim", None, details=details, now=now)
    return Account(user, patient)
