"""``/v1/court-orders``: the registry of court orders staff verified against the docket.

Disclosure officers and court liaisons record orders (and corrections, as new
versions); every staff role may read them, because each lookup under an order
is decided on these records. Agencies get 403: an agency presents an order in
its lookup, it never vouches for one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from gateway.api.authz import require, require_staff
from gateway.api.deps import ServicesDep
from gateway.api.openapi import json_body
from gateway.api.problems import problem, problem_responses
from gateway.api.schemas import CourtOrderRecording
from gateway.auth.permissions import Permission
from gateway.auth.tokens import StaffPrincipal
from gateway.store.court_orders import StoredCourtOrder

router = APIRouter(prefix="/v1/court-orders", tags=["court orders"])


RecorderDep = Annotated[StaffPrincipal, Depends(require_staff(Permission.COURT_ORDER_RECORD))]


def view(order: StoredCourtOrder, superseded_by: str | None = None) -> dict[str, Any]:
    """A version as staff read it: the order in the wire vocabulary, and its provenance."""
    return {
        "id": order.id,
        "version": order.version,
        "supersedes": order.supersedes,
        "superseded_by": superseded_by,
        "order_type": order.order_type,
        "court": order.court,
        "court_type": order.court_type,
        "judge": order.judge,
        "judge_type": order.judge_type,
        "docket_number": order.docket_number,
        "issued_at": order.issued_at.isoformat(),
        "expires_at": order.expires_at.isoformat() if order.expires_at else None,
        "applicant_authorizer_role": order.applicant_authorizer_role,
        "covered_tins": list(order.covered_tins),
        "covered_taxable_periods": list(order.covered_taxable_periods),
        "covered_data": list(order.covered_data),
        "named_recipients": list(order.named_recipients),
        "arrest_warrant": (
            {"type": order.warrant_type, "offense_class": order.warrant_offense_class}
            if order.warrant_type is not None
            else None
        ),
        "verification_source": order.verification_source,
        "verification_note": order.verification_note,
        "recorded_by": {"subject": order.recorded_by, "role": order.recorded_by_role},
        "recorded_at": order.recorded_at.isoformat(),
        "log_index": order.log_index,
    }


def _invalid(exc: ValidationError) -> JSONResponse:
    """422 with where and what, never the value (an order lists TINs)."""
    errors = [
        {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_input=False, include_url=False)
    ]
    return problem(
        422,
        "Invalid request",
        "the court order does not match the API contract",
        "invalid-request",
        errors=errors,
    )


@router.post(
    "",
    status_code=201,
    openapi_extra=json_body(CourtOrderRecording, "The order as verified on the court's docket."),
    responses=problem_responses(409),  # a version that conflicts with the registry
)
async def record_order(request: Request, svc: ServicesDep, who: RecorderDep) -> JSONResponse:
    # Parsed from the raw JSON, as lookups are: the strict model reads RFC 3339 instants
    # only from JSON text, and the role is checked (dependency) before the body is read.
    try:
        body = CourtOrderRecording.model_validate_json(await request.body())
    except ValidationError as exc:
        return _invalid(exc)
    stored = await run_in_threadpool(
        lambda: svc.court_orders.record(body, by=who.subject, role=who.role)
    )
    return JSONResponse(
        view(stored), status_code=201, headers={"Location": f"{router.prefix}/{stored.id}"}
    )


@router.get("", dependencies=[Depends(require(Permission.COURT_ORDER_READ))])
async def list_orders(
    svc: ServicesDep,
    include_superseded: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    orders = await run_in_threadpool(
        lambda: svc.court_orders.versions(current_only=not include_superseded, limit=limit)
    )
    return {"items": [view(o, newer) for o, newer in orders]}


@router.get("/{order_id}", dependencies=[Depends(require(Permission.COURT_ORDER_READ))])
async def get_order(order_id: str, svc: ServicesDep) -> dict[str, Any]:
    order, newer = await run_in_threadpool(svc.court_orders.get, order_id)
    return view(order, newer)
