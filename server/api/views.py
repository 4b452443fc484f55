"""How rows are shown to API clients."""

from __future__ import annotations

from typing import Any

from server.events import iso
from server.models import ConsultationNote, Department, Doctor, Patient, Slot, Ticket, User, Vitals


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    """Show a ticket with its appointment."""
    a = ticket.appointment
    return {
        "ticket_id": ticket.id,
        "appointment_id": a.id,
        "token": ticket.token,
        "status": a.status.value,
        "urgency": a.urgency.value,
        "source": a.source.value,
        "patient_id": a.patient_id,
        "department_id": ticket.queue_department_id,
        "doctor_id": ticket.doctor_id,
        "slot_id": a.slot_id,
        "day": ticket.day.isoformat(),
        "scheduled_at": iso(a.scheduled_at),
        "reason": a.reason,
        "no_show_probability": a.no_show_probability,
        "overbooked": a.overbooked,
        "overbook_reason": a.overbook_reason,
        "booked_at": iso(a.booked_at),
        "checked_in_at": iso(a.checked_in_at),
        "called_at": iso(a.called_at),
        "started_at": iso(a.started_at),
        "completed_at": iso(a.completed_at),
        "cancelled_at": iso(a.cancelled_at),
        "call_count": ticket.call_count,
    }


def patient_out(patient: Patient) -> dict[str, Any]:
    """Show a patient record."""
    return {
        "id": patient.id,
        "record_number": patient.record_number,
        "full_name": patient.full_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "phone": patient.phone,
        "email": patient.email,
        "contact_preference": patient.contact_preference.value,
        "opted_out": patient.opted_out,
        "language": patient.language,
    }


def department_out(department: Department) -> dict[str, Any]:
    """Show a department."""
    return {
        "id": department.id,
        "code": department.code,
        "name": department.name,
        "token_prefix": department.token_prefix,
    }


def doctor_out(doctor: Doctor) -> dict[str, Any]:
    """Show a doctor."""
    return {
        "id": doctor.id,
        "name": doctor.name,
        "specialty": doctor.specialty,
        "department_id": doctor.department_id,
        "room": doctor.room.name if doctor.room else None,
        "active": doctor.active,
    }


def slot_out(slot: Slot) -> dict[str, Any]:
    """Show a slot and how full it is."""
    return {
        "id": slot.id,
        "doctor_id": slot.doctor_id,
        "starts_at": iso(slot.starts_at),
        "ends_at": iso(slot.ends_at),
        "capacity": slot.capacity,
        "booked": slot.booked,
        "free": max(slot.capacity - slot.booked, 0),
    }


def vitals_out(v: Vitals) -> dict[str, Any]:
    """Show a set of vitals."""
    return {
        "id": v.id,
        "appointment_id": v.appointment_id,
        "recorded_at": iso(v.recorded_at),
        "temperature_c": v.temperature_c,
        "pulse_bpm": v.pulse_bpm,
        "systolic_mmhg": v.systolic_mmhg,
        "diastolic_mmhg": v.diastolic_mmhg,
        "spo2_pct": v.spo2_pct,
        "height_cm": v.height_cm,
        "weight_kg": v.weight_kg,
    }


def note_out(n: ConsultationNote) -> dict[str, Any]:
    """Show a consultation note."""
    return {
        "id": n.id,
        "appointment_id": n.appointment_id,
        "created_at": iso(n.created_at),
        "text": n.text,
    }


def user_out(u: User) -> dict[str, Any]:
    """Show a user without secrets."""
    return {
        "id": u.id,
        "username": u.username,
        "role": u.role.value,
        "full_name": u.full_name,
        "active": u.active,
    }
