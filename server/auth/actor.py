"""Who is acting: the user behind a request, a socket or a job."""

from __future__ import annotations

from dataclasses import dataclass

from server.models.users import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated party and the records it is tied to."""

    user_id: int | None
    role: Role
    name: str = ""
    doctor_id: int | None = None  # set for doctors
    patient_id: int | None = None  # set for patients
    # The token's SMART scopes, space-separated; None for a login or a plain API token.
    scopes: str | None = None

    @property
    def is_staff_side(self) -> bool:
        """Tell whether the actor works at the clinic (not a patient)."""
        return self.role is not Role.PATIENT


SYSTEM = Actor(user_id=None, role=Role.ADMIN, name="system")
