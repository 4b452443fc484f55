"""People who log in, their API tokens, and the TV boards that connect."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, str_enum, utcnow


class Role(StrEnum):
    """What a user is in the clinic; permissions hang on roles."""

    ADMIN = "admin"
    DOCTOR = "doctor"
    NURSE = "nurse"
    STAFF = "staff"
    PATIENT = "patient"


class User(Base):
    """Someone who logs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    full_name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A language tag from server.i18n.LANGUAGES ("en", "pt-BR", "es"): messages and pages in it.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for API clients and sockets; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="api")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # SMART-style scopes, space-separated ("system/Appointment.write patient/*.read"); a token
    # with scopes is a FHIR token and works on /fhir only; "" is a plain REST API token.
    scopes: Mapped[str] = mapped_column(String(1000), default="", server_default="")


class LoginSession(Base):
    """A browser's login: the signed cookie carries a random key, only its hash is stored.

    Logout deletes the row; a password change or a deactivation deletes all of a user's.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DisplayKind(StrEnum):
    """What a display key opens: a waiting-room board, or a self-service kiosk."""

    BOARD = "board"
    KIOSK = "kiosk"


class Display(Base):
    """A registered waiting-room TV board or check-in kiosk and the departments it serves."""

    __tablename__ = "displays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), nullable=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(16), default="en")
    speech: Mapped[bool] = mapped_column(Boolean, default=True)
    # False once its key is revoked: nothing opens it until a new key is issued.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # A kiosk key opens /kiosk (check-in, walk-in tickets) and nothing else a board key does not.
    kind: Mapped[DisplayKind] = mapped_column(
        str_enum(DisplayKind, 16), default=DisplayKind.BOARD, server_default="board"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
