"""The `/fhir/R4` blueprint: routes, and every error answered as an OperationOutcome."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from quart import Blueprint, Response, request
from quart_auth import Unauthorized
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from server.api.errors import HTTP_CODES, RETRY_AFTER_S, database_error
from server.auth.scopes import Access
from server.auth.web import public
from server.errors import APIError, DomainError
from server.fhir import runtime, writes
from server.fhir.access import authorize
from server.fhir.base import BASE
from server.fhir.capability import capability_statement
from server.fhir.outcome import FhirError, operation_outcome
from server.fhir.reads import KINDS, by_id, find
from server.fhir.refusals import outcome_of
from server.fhir.search import bundle, parse_query, path_id
from server.fhir.wire import base_url, respond
from server.services import clinic

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def scoped(view: F) -> F:
    """Mark a route checked per resource by authorize() (role permission and token scopes)."""
    view.permission = "fhir.access"  # type: ignore[attr-defined]
    return view


bp = Blueprint("fhir", __name__, url_prefix=BASE)


@bp.before_app_serving
async def _start() -> None:
    await runtime.start(clinic())


@bp.after_app_serving
async def _stop() -> None:
    await runtime.stop(clinic())


def _software_version() -> str:
    try:
        return version("clinic-queue")
    except PackageNotFoundError:
        return "0"


def refusal(error: APIError | DomainError) -> Response:
    """Answer a refusal of either family as an OperationOutcome."""
    status, body = outcome_of(error)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW_Authenticate"] = 'Bearer realm="fhir"'
    if status == 503:
        headers["Retry_After"] = str(RETRY_AFTER_S)
    return respond(body, status, **headers)


@bp.errorhandler(APIError)
async def _api_error(error: APIError) -> Response:
    return refusal(error)


@bp.errorhandler(DomainError)
async def _domain_error(error: DomainError) -> Response:
    return refusal(error)


@bp.errorhandler(Unauthorized)
async def _unauthorized(_: Unauthorized) -> Response:
    return refusal(APIError(401, "UNAUTHENTICATED", "send a bearer token"))


@bp.errorhandler(HTTPException)
async def _http(error: HTTPException) -> Response:
    status = error.code or 500
    return refusal(APIError(status, HTTP_CODES.get(status, "HTTP_ERROR"), error.description or ""))


@bp.errorhandler(SQLAlchemyError)
async def _database(error: SQLAlchemyError) -> Response:
    mapped = database_error(error)
    if mapped is None:
        return await _crash(error)
    return refusal(mapped)


@bp.errorhandler(Exception)
async def _crash(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return respond(operation_outcome(500, "INTERNAL", "something went wrong on our side"), 500)


@bp.get("/metadata")
@public
async def metadata() -> Response:
    """The CapabilityStatement: open to anyone, as FHIR clients read it before logging in."""
    services = clinic()
    body = capability_statement(
        base_url(), services.settings.clinic_name, _software_version(), services.clock()
    )
    return respond(body)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise FhirError(404, "UNKNOWN_RESOURCE", f"no resource type {kind[:40]!r} here")
    return kind


@bp.get("/<kind>")
@scoped
async def search(kind: str) -> Response:
    """Search a resource type: a Bundle page with its links."""
    grant = await authorize(_kind(kind), Access.READ)
    query = parse_query(request.args.to_dict(flat=False), KINDS[kind].parameters)
    services = clinic()
    now = services.clock()
    found, total = await services.read(lambda s: find(s, services, kind, query, grant, now))
    return respond(bundle(base_url(), f"/{kind}", query, found, total))


@bp.get("/<kind>/<ident>")
@scoped
async def read(kind: str, ident: str) -> Response:
    """Read one resource by id (404 when it does not exist or is not the caller's to see)."""
    grant = await authorize(_kind(kind), Access.READ)
    query = by_id(kind, path_id(kind, ident))
    services = clinic()
    found, _ = await services.read(
        lambda s: find(s, services, kind, query, grant, services.clock())
    )
    if not found:
        raise FhirError(404, f"{kind.upper()}_NOT_FOUND", f"{kind}/{ident} not found")
    return respond(found[0])


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@public
async def unknown(rest: str) -> Response:
    """Anything else under the base: an OperationOutcome, not the site's 404 page."""
    raise FhirError(404, "NOT_FOUND", f"nothing at {BASE}/{rest[:80]}")


for rule, view, methods in (
    ("/Patient", writes.create_patient_route, ["POST"]),
    ("/Appointment", writes.book_route, ["POST"]),
    ("/Appointment/<ident>", writes.change_status_route, ["PUT", "PATCH"]),
    ("/Subscription", writes.create_subscription_route, ["POST"]),
    ("/Subscription/<ident>", writes.delete_subscription_route, ["DELETE"]),
):
    bp.add_url_rule(rule, view_func=scoped(view), methods=methods)
