"""A demo clinic: three departments, six doctors working today, forty patients."""

from __future__ import annotations

import asyncio
import errno
import random
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import admin, booking, queue
from server.auth.actor import SYSTEM
from server.auth.passwords import hash_password_sync
from server.auth.secrets import digest
from server.models import Appointment, Department, Display, Doctor, Patient, Role, Room, Slot, User
from server.queue.order import Urgency

DEPARTMENTS = [
    ("GEN", "General Medicine", "G", ["Room 1", "Room 2"]),
    ("PED", "Paediatrics", "P", ["Room 3", "Room 4"]),
    ("CAR", "Cardiology", "C", ["Room 5", "Room 6"]),
]
DOCTORS = [
    "Dr. Amara Okafor",
    "Dr. Lucas Meyer",
    "Dr. Sofia Rossi",
    "Dr. Kenji Watanabe",
    "Dr. Priya Nair",
    "Dr. Tomás Silva",
]
FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "David",
    "Elif",
    "Farah",
    "George",
    "Hana",
    "Ivan",
    "Julia",
    "Karim",
    "Lena",
    "Mateo",
    "Nora",
]
LAST = [
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lopez",
    "Moreau",
]
DEMO_DISPLAY_KEY = "dk_demo-waiting-room-board"


@dataclass(frozen=True)
class Login:
    """A demo login to print at start."""

    role: str
    username: str
    password: str


LOGINS = [
    Login("admin", "admin", "demo-admin-pass"),
    Login("doctor", "doctor", "demo-doctor-pass"),
    Login("nurse", "nurse", "demo-nurse-pass"),
    Login("staff", "staff", "demo-staff-pass"),
    Login("patient", "patient", "demo-patient-pass"),
]


async def is_seeded(db: AsyncSession) -> bool:
    """Tell whether the database already holds a clinic."""
    return bool(await db.scalar(select(func.count(Department.id))))


OPENS, CLOSES = time(8), time(17)
DAY_LENGTH = timedelta(hours=9)


def session_window(now: datetime) -> tuple[datetime, datetime]:
    """Pick today's working hours: 08:00-17:00, or nine hours from an hour before `now`.

    The normal day when it leaves at least two hours to see; otherwise the demo opens an hour
    before it is started (for at most nine hours, ending by midnight) so that it is open.
    """
    midnight = datetime.combine(now.date(), time(0), tzinfo=UTC)
    opens = datetime.combine(now.date(), OPENS, tzinfo=UTC)
    closes = datetime.combine(now.date(), CLOSES, tzinfo=UTC)
    if opens <= now <= closes - timedelta(hours=2):
        return opens, closes
    start = max(midnight, now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1))
    return start, min(start + DAY_LENGTH, midnight + timedelta(days=1))


def port_problem(host: str, port: int) -> str | None:
    """Say in one line why the server could not listen on `host`:`port` (None: it can)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another demo?): stop it, "
                    f"or choose another port: CLINIC_PORT={port + 1} make demo"
                )
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def lan_address() -> str | None:
    """Guess this machine's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routing only picks the interface
            address: str = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


async def seed(
    db: AsyncSession,
    now: datetime,
    rng: random.Random | None = None,
    scorer: booking.Scorer = booking.base_rate_scorer,
    day: bool = True,
) -> dict[str, int]:
    """Create the demo clinic through the same actions the app uses.

    With `day`, today's sessions, bookings and walk-ins too; without, the live demo plays them.
    """
    rng = rng or random.Random(14)
    hashes = await asyncio.gather(
        *(asyncio.to_thread(hash_password_sync, login.password) for login in LOGINS)
    )
    users = {}
    for login, hashed in zip(LOGINS, hashes, strict=True):
        users[login.role] = await admin.create_user(
            db,
            SYSTEM,
            username=login.username,
            password_hash=hashed,
            role=Role(login.role),
            full_name=f"Demo {login.role}",
            now=now,
        )
    doctors = await _clinic(db, now, users["doctor"], day)
    patients = await _patients(db, now, rng, users["patient"])
    if day:
        await _bookings(db, now, rng, doctors, patients, scorer)
    db.add(
        Display(
            name="Waiting room",
            department_id=None,
            key_hash=digest(DEMO_DISPLAY_KEY),
            created_at=now,
        )
    )
    return {"doctors": len(doctors), "patients": len(patients)}


async def _clinic(db: AsyncSession, now: datetime, doctor_user: User, day: bool) -> list[Doctor]:
    start, end = session_window(now)
    doctors: list[Doctor] = []
    names = iter(DOCTORS)
    for code, name, prefix, rooms in DEPARTMENTS:
        department = await admin.create_department(
            db, SYSTEM, code=code, name=name, token_prefix=prefix, rooms=rooms, now=now
        )
        for room in await db.scalars(
            select(Room).where(Room.department_id == department.id).order_by(Room.name)
        ):
            doctor = await admin.create_doctor(
                db,
                SYSTEM,
                department_id=department.id,
                name=next(names),
                room_id=room.id,
                user_id=doctor_user.id if not doctors else None,
                now=now,
            )
            if day:
                await admin.create_session(
                    db,
                    SYSTEM,
                    doctor_id=doctor.id,
                    starts_at=start,
                    ends_at=end,
                    now=now,
                    slot_minutes=15,
                    capacity_per_slot=1,
                    overbook_cap=1,
                )
            doctors.append(doctor)
    return doctors


async def _patients(
    db: AsyncSession, now: datetime, rng: random.Random, patient_user: User
) -> list[Patient]:
    patients = []
    for index in range(40):
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 80 * 365))
        patient = Patient(
            record_number=f"MRN-{1000 + index}",
            full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            date_of_birth=born,
            sex=rng.choice("FM"),
            phone=f"+1555{rng.randrange(1000000, 9999999)}",
            email=f"patient{index}@example.org",
            user_id=patient_user.id if index == 0 else None,
            created_at=now,
        )
        db.add(patient)
        patients.append(patient)
    await db.flush()
    return patients


async def _bookings(
    db: AsyncSession,
    now: datetime,
    rng: random.Random,
    doctors: list[Doctor],
    patients: list[Patient],
    scorer: booking.Scorer,
) -> None:
    """Book 25 patients (12 of them already here), register 15 walk-ins."""
    early = now - timedelta(hours=1)  # bookings were made before today's clinic opened
    for index, patient in enumerate(patients[:25]):
        doctor = doctors[index % len(doctors)]
        slot = await db.scalar(
            select(Slot)
            .where(Slot.doctor_id == doctor.id, Slot.starts_at > now, Slot.booked < Slot.capacity)
            .order_by(Slot.starts_at)
            .limit(1)
        )
        if slot is None:
            continue
        ticket = await booking.book(
            db,
            SYSTEM,
            patient_id=patient.id,
            choice=booking.SlotChoice(slot_id=slot.id),
            now=early,
            reason="Follow-up" if index % 3 else "New complaint",
            scorer=scorer,
        )
        if index % 2 == 0:
            await queue.check_in(db, SYSTEM, ticket_id=ticket.id, now=now)
    for index, patient in enumerate(patients[25:]):
        department_id = doctors[index % len(doctors)].department_id
        urgency = Urgency.URGENT if index % 5 == 0 else Urgency.ROUTINE
        await booking.register_walk_in(
            db,
            SYSTEM,
            patient_id=patient.id,
            department_id=department_id,
            now=now,
            urgency=urgency,
            reason="Walk-in",
        )


async def appointment_count(db: AsyncSession) -> int:
    """Count appointments (for the start-up banner)."""
    return int(await db.scalar(select(func.count(Appointment.id))) or 0)
