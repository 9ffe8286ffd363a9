"""``/v1/address-lookups``: parse, authenticate, hand to the pipeline, answer."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from gateway.api.authz import require_agency, require_agency_spending_later
from gateway.api.deps import ServicesDep
from gateway.api.openapi import json_body
from gateway.api.problems import problem, problem_responses
from gateway.api.schemas import LookupRequest, LookupResponse
from gateway.auth.permissions import Permission
from gateway.auth.tokens import AgencyPrincipal
from gateway.errors import GatewayError, NotFoundError
from gateway.services import Services

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/address-lookups", tags=["lookups"])


def answer(response: LookupResponse) -> Response:
    """The answer's JSON straight from pydantic's serializer: the same bytes as
    ``JSONResponse(response.model_dump(mode="json"))`` (compact, UTF-8, no float in the
    model), without building the dict and encoding it again in Python."""
    return Response(response.model_dump_json(), media_type="application/json")


def _invalid(exc: ValidationError) -> JSONResponse:
    errors = [
        {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_input=False, include_url=False)
    ]
    return problem(
        422,
        "Invalid request",
        "the request body does not match the API contract",
        "invalid-request",
        errors=errors,
    )


async def _spend(svc: Services, principal: AgencyPrincipal) -> None:
    """Spend a lookup's token that its leaf did not; the lookup's own error still answers."""
    try:
        await run_in_threadpool(svc.verifier.spend, principal)
    except GatewayError as exc:  # the replay memory is down: so is every later use's check
        log.error("token_spend.failed", error=exc.detail)


@router.post(
    "",
    response_model=LookupResponse,
    openapi_extra=json_body(LookupRequest, "The lookup: basis, purpose, recipients, subjects."),
    responses=problem_responses(409),  # the request_id was used before with another body
)
async def create_lookup(
    request: Request,
    svc: ServicesDep,
    principal: Annotated[
        AgencyPrincipal, Depends(require_agency_spending_later(Permission.LOOKUP_CREATE))
    ],
) -> Response:
    # The token is spent with the decision leaf (gateway.auth.tokens, "Where check 5
    # writes"); a lookup that ends any other way spends it here before it answers.
    try:
        raw = await request.body()
        body = LookupRequest.model_validate_json(raw)
        response = await run_in_threadpool(svc.pipeline.run, principal, body)
    except ValidationError as exc:
        await _spend(svc, principal)
        return _invalid(exc)
    except Exception:
        await _spend(svc, principal)
        raise
    structlog.contextvars.bind_contextvars(
        decision_id=response.decision_id, log_index=response.log_index, outcome=response.outcome
    )
    return answer(response)


@router.get("/{decision_id}", response_model=LookupResponse)
async def get_lookup(
    decision_id: str,
    svc: ServicesDep,
    principal: Annotated[AgencyPrincipal, Depends(require_agency(Permission.LOOKUP_READ))],
) -> Response:
    stored = await run_in_threadpool(svc.lookups.get, decision_id)
    # Another agency's decision is indistinguishable from one that does not exist.
    if stored is None or stored.agency_id != principal.agency.id:
        raise NotFoundError("no such decision for this agency")
    return answer(LookupResponse.model_validate_json(stored.response_json))
