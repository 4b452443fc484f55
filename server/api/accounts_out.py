"""Response bodies of the patients' account routes, for the OpenAPI document."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from server.api.responses import PatientOut


class CodeSentOut(BaseModel):
    """A code is on its way (or, for a reset of no account, nowhere: the answer is the same)."""

    request_id: str = Field(description="send it back with the code")
    channel: str | None = Field(None, description="sms or email (sign-up only)")
    expires_in_s: int


class AccountUserOut(BaseModel):
    id: int
    username: str
    role: str


class AccountOut(BaseModel):
    """The new login, logged in; the CSRF token to echo in X-CSRF-Token."""

    user: AccountUserOut
    patient_id: int
    record_number: str | None = None
    csrf_token: str


class ResetOut(BaseModel):
    """The new password is set, every other login ended; this browser is logged in."""

    ok: bool
    username: str
    csrf_token: str


class InviteOut(BaseModel):
    """The invitation went out (its link goes to the patient only)."""

    patient_id: int
    channel: str
    expires_at: datetime


class PersonOut(PatientOut):
    """A patient the login acts for, with their language."""

    language: str
    self: bool = Field(description="the login's own record (else a dependant)")


class PeopleOut(BaseModel):
    patients: list[PersonOut]


class GuardianOut(PatientOut):
    guardian_user_id: int
