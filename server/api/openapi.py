"""The OpenAPI document: every /api operation with its response schema and its error statuses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from quart_schema import OpenAPIProvider
from quart_schema.validation import (
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
    QUART_SCHEMA_RESPONSE_ATTRIBUTE,
)
from werkzeug.routing import BaseConverter, Rule

from server.api import accounts_out as ra
from server.api import priority_schemas as p
from server.api import responses as r
from server.api import setup_schemas as setup
from server.api import waitlist as w
from server.api.admin_rotas import RESPONSES as ROTA_RESPONSES
from server.api.fields import MAX_ID
from server.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from server.api.ids import IdConverter
from server.api.schemas import ErrorOut

# What each status means, the same on every operation that can answer it.
ERROR_MEANINGS = {
    400: "the request is malformed: VALIDATION_ERROR (names the field), MALFORMED_JSON, "
    "BAD_ENCODING, BAD_QUERY, BAD_IDEMPOTENCY_KEY",
    401: "not logged in, or the bearer token is unknown or expired",
    403: "the caller's role may not do this (FORBIDDEN, CSRF_FAILED, URGENCY_NOT_ALLOWED)",
    404: "a row named in the path or the body does not exist (<WHAT>_NOT_FOUND)",
    409: "the state forbids it now: INVALID_TRANSITION, SLOT_FULL, ALREADY_QUEUED, …",
    413: "the body is larger than 1 MiB",
    422: "well-formed but not possible: BEYOND_HORIZON, NO_SESSION, IDEMPOTENCY_KEY_REUSED, …",
    429: "too many failed logins, codes tried, wrong check-in codes or kiosk look-ups; wait",
    503: "DATABASE_UNAVAILABLE: the database is down or restarting; retry after Retry-After s",
}

# endpoint -> (success status, its JSON body or None, error statuses beyond the common ones)
Spec = tuple[int, type[BaseModel] | None, frozenset[int]]


def _spec(status: int, model: type[BaseModel] | None, *errors: int) -> Spec:
    return status, model, frozenset(errors)


CHANGE = (404, 409, 422)
RESPONSES: dict[str, Spec] = {
    "auth.login": _spec(200, r.LoginOut, 429),
    "auth.logout": _spec(200, r.OkOut),
    "auth.me": _spec(200, r.MeOut),
    "auth.create_token": _spec(201, r.TokenOut, 422),  # 422: scopes the role may not hold
    "auth.change_password": _spec(200, r.PasswordOut, 429),
    "auth.list_tokens": _spec(200, r.TokensOut, 400),
    "auth.revoke_token": _spec(204, None),
    "clinic.departments": _spec(200, r.DepartmentsOut),
    "clinic.doctors": _spec(200, r.DoctorsOut, 400),
    "clinic.slots": _spec(200, r.SlotsOut, 400),
    "patients.create": _spec(201, r.PatientOut, 409, 422),
    "patients.search": _spec(200, r.PatientsOut, 400),
    "patients.read": _spec(200, r.PatientDetailOut),
    "patients.history": _spec(200, r.HistoryOut),
    "appointments.book": _spec(201, r.TicketLinkOut, *CHANGE),
    "appointments.mine": _spec(200, r.AppointmentsOut, 400, 404),
    "appointments.read": _spec(200, r.TicketLinkOut),
    "appointments.cancel": _spec(200, r.TicketOut, *CHANGE),
    "appointments.reschedule": _spec(200, r.TicketLinkOut, *CHANGE),
    "appointments.walk_in": _spec(201, r.TicketLinkOut, *CHANGE),
    "queue.department_queue": _spec(200, r.QueueOut, 400),
    "queue.read_ticket": _spec(200, r.TicketViewOut),
    "queue.check_in": _spec(200, r.TicketOut, *CHANGE),
    "queue.start": _spec(200, r.TicketOut, *CHANGE),
    "queue.complete": _spec(200, r.TicketOut, *CHANGE),
    "queue.recall": _spec(200, r.TicketOut, *CHANGE),
    "queue.skip": _spec(200, r.TicketOut, *CHANGE),
    "queue.no_show": _spec(200, r.TicketOut, *CHANGE),
    "queue.requeue": _spec(200, r.TicketOut, *CHANGE),
    "queue.cancel": _spec(200, r.TicketOut, *CHANGE),
    "queue.transfer": _spec(200, r.TicketOut, *CHANGE),
    "queue.call": _spec(200, r.TicketOut, *CHANGE),
    "queue.call_next": _spec(200, r.TicketOut, *CHANGE),
    "queue.emergency": _spec(201, r.TicketOut, *CHANGE),
    "clinical.vitals": _spec(201, r.VitalsOut, 404, 422),
    "clinical.notes": _spec(201, r.NoteOut, 404, 422),
    "admin.department": _spec(201, r.DepartmentOut, 409),
    "admin.doctor": _spec(201, r.DoctorOut, 404, 409, 422),
    "admin.session_create": _spec(201, r.SessionOut, *CHANGE),
    "admin.session_delay": _spec(200, r.SessionDelayOut),
    "admin.session_close": _spec(200, r.SessionCloseOut, *CHANGE),
    "admin.user": _spec(201, r.UserOut, 409),
    "admin.display": _spec(201, r.DisplayOut, 404, 409),
    "admin.audit_log": _spec(200, r.AuditOut, 400),
    "admin_setup.overview": _spec(200, setup.SetupOut),
    "admin_setup.department_edit": _spec(200, setup.SetupDepartmentOut, 409),
    "admin_setup.room_add": _spec(201, setup.RoomOut, 409),
    "admin_setup.room_edit": _spec(200, setup.RoomOut, 409),
    "admin_setup.doctor_edit": _spec(200, setup.SetupDoctorOut, 404, 409, 422),
    "admin_setup.user_edit": _spec(200, setup.SetupUserOut, 409, 422),
    "admin_setup.user_password": _spec(200, setup.SetupUserOut, 409),
    "admin_setup.user_logout": _spec(200, setup.LoginsEndedOut, 409),
    "admin_setup.user_tokens_revoke": _spec(200, setup.TokensRevokedOut, 409),
    "admin_setup.display_edit": _spec(200, setup.SetupDisplayOut, 404, 409, 422),
    "admin_setup.display_revoke": _spec(200, setup.SetupDisplayOut, 409),
    "admin_setup.display_key": _spec(200, setup.DisplayKeyOut),
    "dashboard.dashboard": _spec(200, r.OkOut, 400, 404),  # its own decorator wins
    "dashboard.dashboard_csv": _spec(200, None, 400, 404),
    "desk.department_day": _spec(200, r.DeskDayOut, 400),
    "presence.desk": _spec(200, r.DeskOut, 404, 409, 422),
    "outbox.list_outbox": _spec(200, r.OutboxOut, 400),
    "outbox.resend": _spec(200, r.OutboxMessageOut, 409),
    "checkin.self_check_in": _spec(200, r.CheckedInOut, 401, 403, *CHANGE, 429),
    "checkin.board_codes": _spec(200, r.CheckinCodesOut, 401),
    "checkin.kiosk_info": _spec(200, r.KioskOut, 401),
    "checkin.kiosk_check_in": _spec(200, r.KioskTicketOut, 401, 403, *CHANGE, 429),
    "checkin.kiosk_walk_in": _spec(201, r.KioskTicketOut, 401, 403, *CHANGE, 429),
    "checkin.print_link": _spec(200, r.PrintLinkOut),
    "waitlist.join": _spec(201, w.EntryOut, *CHANGE),
    "waitlist.entries": _spec(200, w.EntriesOut, 400),
    "waitlist.leave": _spec(200, w.EntryOut, 404, 409),
    "waitlist.confirm": _spec(201, r.TicketLinkOut, *CHANGE),
    "waitlist.decline": _spec(200, w.OfferAnswerOut, 404, 409),
    "priority.list_all": _spec(200, p.CategoriesOut),
    "priority.list_active": _spec(200, p.CategoriesOut),
    "priority.create": _spec(201, p.CategoryOut, 409),
    "priority.update": _spec(200, p.CategoryOut, 404, 409),
    "accounts.register": _spec(202, ra.CodeSentOut, 422, 429),
    "accounts.verify": _spec(201, ra.AccountOut, 409, 422, 429),
    "accounts.reset": _spec(202, ra.CodeSentOut, 429),
    "accounts.reset_verify": _spec(200, ra.ResetOut, 422, 429),
    "accounts.claim": _spec(201, ra.AccountOut, 401, 409, 429),
    "accounts.invite": _spec(201, ra.InviteOut, 409, 422),
    "accounts.add_guardian": _spec(201, ra.GuardianOut, 409, 422),
    "accounts.my_patients": _spec(200, ra.PeopleOut),
    "accounts.add_dependant": _spec(201, ra.PersonOut, 409, 422),
    "accounts.preferences": _spec(200, ra.PersonOut, 422),
}
RESPONSES.update(ROTA_RESPONSES)  # the weekly rota's routes declare theirs beside them
# Answers that are not JSON objects: what they are, by endpoint.
OTHER_CONTENT: dict[str, dict[str, Any]] = {
    "auth.revoke_token": {"description": "revoked (no body)"},
    "dashboard.dashboard_csv": {
        "description": "the dashboard's figures as CSV",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
}
# The creating POSTs that honour an Idempotency-Key header.
IDEMPOTENT = frozenset(
    {"appointments.book", "appointments.walk_in", "queue.emergency", "patients.create"}
)
HIDDEN = frozenset({"openapi", "swagger_ui"})


def error_statuses(endpoint: str, rule: Rule, view: Any) -> set[int]:
    """Return the error statuses an operation can answer."""
    statuses = {503}  # any route reads the database
    if getattr(view, "permission", "public") != "public":
        statuses |= {401, 403}
    if getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None) is not None:
        statuses |= {400, 413}
    if rule.arguments:
        statuses.add(404)
    if endpoint == "auth.login":
        statuses |= {401}
    if endpoint in IDEMPOTENT:
        statuses |= {400, 422}
    spec = RESPONSES.get(endpoint)
    if spec is not None:
        statuses |= spec[2]
    return statuses


class ClinicOpenAPI(OpenAPIProvider):
    """Document only /api, with ids bounded, each response's schema and every error status."""

    def generate_rules(self) -> Iterable[Rule]:
        """Keep the API's rules; pages and the document itself are not part of it."""
        for rule in super().generate_rules():
            if rule.rule.startswith("/api/") and rule.endpoint not in HIDDEN:
                yield rule

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        """Bound id parameters as the router does: 1 to 2^63-1."""
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, IdConverter):
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        return parameter

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        """Add the success schema, the error statuses and the Idempotency-Key header."""
        view = self._app.view_functions[rule.endpoint]
        documented = dict(getattr(view, QUART_SCHEMA_RESPONSE_ATTRIBUTE, {}))
        spec = RESPONSES.get(rule.endpoint)
        if spec is not None and spec[1] is not None and not documented:
            documented[spec[0]] = (spec[1], None)
        for status in error_statuses(rule.endpoint, rule, view):
            documented.setdefault(status, (ErrorOut, None))
        setattr(view, QUART_SCHEMA_RESPONSE_ATTRIBUTE, documented)
        paths, components = super().build_paths(rule)
        for operations in paths.values():
            for operation in operations.values():
                if spec is not None and rule.endpoint in OTHER_CONTENT:
                    operation["responses"][spec[0]] = OTHER_CONTENT[rule.endpoint]
                for status, response in operation["responses"].items():
                    if status in ERROR_MEANINGS:
                        response["description"] = ERROR_MEANINGS[status]
                if rule.endpoint in IDEMPOTENT:
                    operation["parameters"] = [*operation["parameters"], IDEMPOTENCY_PARAMETER]
        return paths, components


IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "any 1-100 printable ASCII characters; a retry with the same key and body "
    "returns the first answer (for 24 h) instead of creating twice",
    "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]+$"},
}
