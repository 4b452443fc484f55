"""Request and response bodies of the set-up routes (/api/admin/..., server/api/admin_setup.py)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, StrictBool, model_validator

from server.api.fields import Id, Line
from server.api.schemas import Strict
from server.models import Role

Language = Literal["en", "pt-BR", "es"]  # server.i18n.LANGUAGES


class Edit(Strict):
    """A partial update: only the fields sent change (one at least); null only where it is none."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _some_fields(self) -> Edit:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.nullable:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """Return the fields the request sent, with their new values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class DepartmentEdit(Edit):
    code: Line | None = Field(None, min_length=1, max_length=16)
    name: Line | None = Field(None, min_length=1, max_length=100)
    token_prefix: str | None = Field(None, pattern=r"^[A-Z]{1,3}$")
    active: StrictBool | None = None


class RoomIn(Strict):
    name: Line = Field(min_length=1, max_length=50)


class RoomEdit(Edit):
    name: Line | None = Field(None, min_length=1, max_length=50)
    active: StrictBool | None = None


class DoctorEdit(Edit):
    nullable = frozenset({"room_id", "user_id"})

    name: Line | None = Field(None, min_length=1, max_length=200)
    specialty: Line | None = Field(None, max_length=100)
    room_id: Id | None = Field(None, description="null: no room of their own")
    user_id: Id | None = Field(None, description="a doctor's login; null: none")
    active: StrictBool | None = None


class UserEdit(Edit):
    full_name: Line | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None
    language: Language | None = None
    active: StrictBool | None = None


class PasswordResetIn(Strict):
    password: str = Field(min_length=10, max_length=256)


class DisplayEdit(Edit):
    nullable = frozenset({"department_id"})

    name: Line | None = Field(None, min_length=1, max_length=100)
    department_id: Id | None = Field(None, description="null: every department (a hall board)")
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
    speech: StrictBool | None = None


# Responses


class RoomOut(BaseModel):
    id: int
    department_id: int
    name: str
    active: bool


class SetupDepartmentOut(BaseModel):
    """A department with its rooms, deactivated ones included."""

    id: int
    code: str
    name: str
    token_prefix: str
    active: bool
    rooms: list[RoomOut]


class SetupDoctorOut(BaseModel):
    id: int
    name: str
    specialty: str
    department_id: int
    room_id: int | None
    user_id: int | None
    active: bool


class SetupUserOut(BaseModel):
    id: int
    username: str
    role: Role
    full_name: str
    language: str
    active: bool


class SetupDisplayOut(BaseModel):
    id: int
    name: str
    department_id: int | None
    language: str
    speech: bool
    active: bool = Field(description="false once its key is revoked")


class SetupOut(BaseModel):
    """Everything the set-up screen lists: staff logins only (patients' are their own)."""

    departments: list[SetupDepartmentOut]
    doctors: list[SetupDoctorOut]
    users: list[SetupUserOut]
    displays: list[SetupDisplayOut]


class LoginsEndedOut(BaseModel):
    user_id: int
    ended: int = Field(description="browser logins ended")


class TokensRevokedOut(BaseModel):
    user_id: int
    revoked: int = Field(description="bearer tokens revoked")


class DisplayKeyOut(BaseModel):
    """A display's new key: shown this once."""

    id: int
    name: str
    key: str
    url: str
