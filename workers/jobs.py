"""Every background job, by name: thin functions that call into server code.

Each takes arq's context (`ctx["state"]` is the worker's ClinicState) and plain arguments,
so the same function runs under an arq worker or in-process when embedded.
"""

from __future__ import annotations

from server.jobs import JobFunction
from workers.allocation_jobs import allocate_day, allocate_upcoming
from workers.ml_jobs import rescore_bookings, retrain_no_show
from workers.notify_jobs import deliver_outbox, send_due_reminders
from workers.queue_jobs import resequence_queue

FUNCTIONS: dict[str, JobFunction] = {}
FUNCTIONS["deliver_outbox"] = deliver_outbox
FUNCTIONS["send_due_reminders"] = send_due_reminders
FUNCTIONS["retrain_no_show"] = retrain_no_show
FUNCTIONS["rescore_bookings"] = rescore_bookings
FUNCTIONS["resequence"] = resequence_queue
FUNCTIONS["allocate"] = allocate_day
FUNCTIONS["allocate_upcoming"] = allocate_upcoming

# FHIR subscription notifications (rest-hook), posted with the outbox's retries.
from server.fhir.delivery import deliver_fhir  # noqa: E402

FUNCTIONS["deliver_fhir"] = deliver_fhir
