"""``/v1/reviews``: the disclosure officers' queue (API.md "Review")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.authz import require, require_staff
from gateway.api.deps import ServicesDep
from gateway.api.problems import problem_responses
from gateway.auth.permissions import Permission
from gateway.auth.tokens import StaffPrincipal
from gateway.store.reviews import ReviewRow

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


class ReviewAction(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    action: Literal["approve", "deny"]
    note: Annotated[str, Field(min_length=1, max_length=4000)]


def _view(item: ReviewRow, notices: list[str]) -> dict[str, Any]:
    return {
        "decision_id": item.decision_id,
        "ref": item.ref,
        "agency": item.agency_id,
        "legal_basis": item.legal_basis,
        "status": item.status,
        "queued_at": item.created_at.isoformat(),
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "officer": item.officer,
        "releasable_tax_year": item.release_tax_year,
        "findings": item.findings,
        "obligations": item.obligations,
        "court_notices": notices,
        "review_log_index": item.log_index,
    }


@router.get("", dependencies=[Depends(require(Permission.REVIEW_READ))])
async def list_queue(
    svc: ServicesDep,
    status: Annotated[Literal["pending", "approved", "denied"] | None, Query()] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    items = await run_in_threadpool(svc.reviews.queue, status, limit)
    return {"items": [_view(i, svc.reviews.court_notices(i)) for i in items]}


@router.post("/{decision_id}/{ref}", responses=problem_responses(409))  # already settled
async def act(
    decision_id: str,
    ref: str,
    body: ReviewAction,
    svc: ServicesDep,
    who: Annotated[StaffPrincipal, Depends(require_staff(Permission.REVIEW_ACT))],
) -> dict[str, Any]:
    settled = await run_in_threadpool(
        svc.reviews.act, decision_id, ref, body.action, body.note, who.subject
    )
    return {
        "decision_id": decision_id,
        "ref": ref,
        "status": "approved" if body.action == "approve" else "denied",
        "log_index": settled.log_index,
    }
