"""Who is acting: the user behind a request, a socket or a job."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # Patients a patient's login may act for besides its own (a parent's children).
    dependants: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_staff_side(self) -> bool:
        """Tell whether the actor works at the clinic (not a patient)."""
        return self.role is not Role.PATIENT

    def acts_for(self) -> list[int]:
        """Return the patients this login may act for: its own first, then its dependants."""
        own = [self.patient_id] if self.patient_id is not None else []
        return own + sorted(self.dependants - set(own))

    def may_act_for(self, patient_id: int) -> bool:
        """Tell whether the actor may see and act for this patient (staff: any)."""
        if self.role is not Role.PATIENT:
            return True
        return patient_id == self.patient_id or patient_id in self.dependants


SYSTEM = Actor(user_id=None, role=Role.ADMIN, name="system")
