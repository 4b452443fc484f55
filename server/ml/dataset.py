"""Read appointment history from CSV: the Vitória 2016 format and our own format."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from server.ml.features import ApptRecord

VITORIA_COLUMNS = frozenset(
    {"PatientId", "AppointmentID", "ScheduledDay", "AppointmentDay", "No_show"}
)
OWN_COLUMNS = tuple(f.name for f in fields(ApptRecord))


class DatasetError(ValueError):
    """A CSV file that cannot be read as appointment history."""


def _patient_key(raw: str) -> str:
    # The ids are stored as floats ("29872499824296.0"); Decimal keeps all digits exact.
    try:
        return str(Decimal(raw.strip()).to_integral_value())
    except InvalidOperation as exc:
        raise DatasetError(f"bad PatientId {raw!r}") from exc


def _scheduled(raw: str) -> datetime:
    # Both "2016-04-29 18:38:08" and the original "2016-04-29T18:38:08Z" occur in copies.
    return datetime.fromisoformat(raw.strip().replace("T", " ").removesuffix("Z"))


def _day(raw: str) -> date:
    # AppointmentDay carries no time of day, sometimes written as midnight: keep the date.
    return date.fromisoformat(raw.strip()[:10])


def _age(raw: str) -> int | None:
    age = int(float(raw))
    return age if 0 <= age <= 120 else None


def _flag(raw: str) -> bool:
    return raw.strip() not in ("", "0", "0.0", "False", "false")


def _vitoria_record(row: dict[str, str]) -> ApptRecord:
    no_show = row["No_show"].strip().lower()
    if no_show not in ("yes", "no"):
        raise DatasetError(f"bad No_show {row['No_show']!r}")
    return ApptRecord(
        patient_key=_patient_key(row["PatientId"]),
        appointment_key=row["AppointmentID"].strip(),
        booked_at=_scheduled(row["ScheduledDay"]),
        appointment_day=_day(row["AppointmentDay"]),
        age=_age(row["Age"]),
        sex=row["Gender"].strip().upper() or None,
        department=row["Neighbourhood"].strip() or None,
        reminder_sent=_flag(row["SMS_received"]),
        hypertension=_flag(row["Hipertension"]),
        diabetes=_flag(row["Diabetes"]),
        alcoholism=_flag(row["Alcoholism"]),
        handicap=int(float(row["Handcap"])),
        scholarship=_flag(row["Scholarship"]),
        # "Yes" means the patient did NOT come.
        no_show=no_show == "yes",
    )


def _own_record(row: dict[str, str]) -> ApptRecord:
    def opt(name: str) -> str | None:
        value = row.get(name, "")
        return value if value != "" else None

    age, appt_time, no_show = opt("age"), opt("appointment_time"), opt("no_show")
    return ApptRecord(
        patient_key=row["patient_key"],
        appointment_key=row["appointment_key"],
        booked_at=datetime.fromisoformat(row["booked_at"]),
        appointment_day=date.fromisoformat(row["appointment_day"]),
        appointment_time=None if appt_time is None else time.fromisoformat(appt_time),
        age=None if age is None else int(age),
        sex=opt("sex"),
        department=opt("department"),
        reminder_sent=_flag(row.get("reminder_sent", "")),
        hypertension=_flag(row.get("hypertension", "")),
        diabetes=_flag(row.get("diabetes", "")),
        alcoholism=_flag(row.get("alcoholism", "")),
        handicap=int(row.get("handicap") or 0),
        scholarship=_flag(row.get("scholarship", "")),
        no_show=None if no_show is None else _flag(no_show),
    )


def sort_by_time(records: Iterable[ApptRecord]) -> list[ApptRecord]:
    """Sort by appointment day, then by booking time."""
    return sorted(records, key=lambda r: (r.appointment_day, r.booked_at, r.appointment_key))


def load_vitoria_csv(path: Path) -> list[ApptRecord]:
    """Load the Vitória 2016 no-show file, sorted by time."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = VITORIA_COLUMNS - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{path}: missing columns {sorted(missing)}")
        return sort_by_time(_vitoria_record(row) for row in reader)


def read_csv(path: Path) -> list[ApptRecord]:
    """Load appointment history from a CSV in either format, detected by its header."""
    with path.open(newline="", encoding="utf-8") as fh:
        header = set(csv.DictReader(fh).fieldnames or ())
    if header >= VITORIA_COLUMNS:
        return load_vitoria_csv(path)
    if not {"patient_key", "appointment_key", "booked_at", "appointment_day"} <= header:
        raise DatasetError(f"{path}: neither the Vitória nor the clinic-queue CSV format")
    with path.open(newline="", encoding="utf-8") as fh:
        return sort_by_time(_own_record(row) for row in csv.DictReader(fh))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def write_csv(path: Path, records: Sequence[ApptRecord]) -> None:
    """Write records in the clinic-queue CSV format."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(OWN_COLUMNS)
        for r in records:
            writer.writerow([_cell(getattr(r, name)) for name in OWN_COLUMNS])
