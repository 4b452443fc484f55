"""Every background job, by name: what `services.enqueue(name, ...)` and the arq workers run."""

from __future__ import annotations

from server.background.allocation import allocate_day, allocate_upcoming
from server.background.ml import rescore_bookings, retrain_no_show
from server.background.replan import resequence_queue
from server.background.rotas import create_rota_sessions
from server.background.waitlist import offer_waitlist
from server.fhir.delivery import deliver_fhir
from server.jobs import JobFunction
from server.notify.scheduler import deliver_outbox, send_due_reminders

FUNCTIONS: dict[str, JobFunction] = {}
FUNCTIONS["deliver_outbox"] = deliver_outbox
FUNCTIONS["send_due_reminders"] = send_due_reminders
FUNCTIONS["retrain_no_show"] = retrain_no_show
FUNCTIONS["rescore_bookings"] = rescore_bookings
FUNCTIONS["resequence"] = resequence_queue
FUNCTIONS["allocate"] = allocate_day
FUNCTIONS["allocate_upcoming"] = allocate_upcoming
# FHIR subscription notifications (rest-hook), posted with the outbox's retries.
FUNCTIONS["deliver_fhir"] = deliver_fhir
# The waitlist: offers that ran out, places freed by cancellations (docs/waitlist.md).
FUNCTIONS["offer_waitlist"] = offer_waitlist
# The weekly rota: sessions N weeks ahead (nightly, and the admin page's button).
FUNCTIONS["create_rota_sessions"] = create_rota_sessions
