"""``/v1/reviews``: the disclosure officers' workbench (API.md "Review", README).

* ``GET /v1/reviews`` — the queue, oldest first, filtered by status, agency,
  legal basis, rule and age; each item with its findings, court notices, what an
  approval still waits for, and — for a role that may (``REVIEW_CONTEXT``) — what
  the policy saw, unsealed on the server;
* ``GET /v1/reviews/{decision_id}/{ref}`` — one item, whatever its status, with
  its context (``REVIEW_CONTEXT`` only);
* ``POST /v1/reviews/{decision_id}/{ref}`` — approve or deny one item;
* ``POST /v1/reviews/bulk`` — one action and note for many items, each settled
  (with its own leaf) or refused on its own, every result reported;
* ``POST /v1/reviews/filings`` — record the filing of the court notice a
  decision's ``COURT_NOTICE`` obligation demands, before any approval.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.authz import require, require_staff
from gateway.api.deps import ServicesDep
from gateway.api.problems import PROBLEM_BASE, problem_responses
from gateway.auditing.views import Viewer
from gateway.auth.permissions import Permission, may
from gateway.auth.tokens import Principal, StaffPrincipal
from gateway.errors import GatewayError
from gateway.reviews import MAX_BULK, BulkResult, ReviewFilters, Settled, WorkItem
from gateway.store.reviews import CourtNoticeFilingRow

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])

Text = Annotated[str, Field(min_length=1, max_length=4000, strict=True)]
ShortText = Annotated[str, Field(min_length=1, max_length=300, strict=True)]


class ReviewAction(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    action: Literal["approve", "deny"]
    note: Text


class ItemKey(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    decision_id: ShortText
    ref: ShortText


class BulkAction(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    action: Literal["approve", "deny"]
    note: Text
    items: Annotated[list[ItemKey], Field(min_length=1, max_length=MAX_BULK)]


class FilingRecording(BaseModel):
    """The court notice as filed: who filed it, when, with which court, under which reference."""

    model_config = ConfigDict(extra="forbid")

    decision_id: ShortText
    filed_by: ShortText
    filed_at: datetime
    court: ShortText
    reference: ShortText


def filing_view(f: CourtNoticeFilingRow | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "decision_id": f.decision_id,
        "filed_by": f.filed_by,
        "filed_at": f.filed_at.isoformat(),
        "court": f.court,
        "reference": f.reference,
        "recorded_by": {"subject": f.recorded_by, "role": f.recorded_by_role},
        "recorded_at": f.recorded_at.isoformat(),
        "log_index": f.log_index,
    }


def _view(w: WorkItem) -> dict[str, Any]:
    item = w.item
    first = w.first_approval
    view: dict[str, Any] = {
        "decision_id": item.decision_id,
        "ref": item.ref,
        "agency": item.agency_id,
        "legal_basis": item.legal_basis,
        "status": item.status,
        "queued_at": item.created_at.isoformat(),
        "age_seconds": int(w.age_seconds),
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "officer": item.officer,
        "releasable_tax_year": item.release_tax_year,
        "findings": item.findings,
        "obligations": item.obligations,
        "court_notices": w.court_notices,
        "court_notice_filing": filing_view(w.filing),
        "two_person_rule": w.two_officers,
        "first_approval": (
            {
                "officer": first.officer,
                "at": first.approved_at.isoformat(),
                "log_index": first.log_index,
            }
            if first
            else None
        ),
        "waiting_for": w.waiting_for,
        "review_log_index": item.log_index,
        "decision_log_index": item.decision_log_index,
    }
    if w.context is not None:
        view["context"] = w.context
    return view


def problem_body(exc: GatewayError) -> dict[str, Any]:
    """A refusal as the problem document it would have been on its own."""
    return {
        "type": PROBLEM_BASE + exc.type_slug,
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        **exc.extra,
    }


def settled_view(decision_id: str, ref: str, s: Settled) -> dict[str, Any]:
    return {"decision_id": decision_id, "ref": ref, "status": s.status, "log_index": s.log_index}


def _bulk_view(r: BulkResult) -> dict[str, Any]:
    if r.settled is not None:
        return settled_view(r.decision_id, r.ref, r.settled)
    if r.problem is None:  # a result is one or the other
        raise RuntimeError("bulk result without outcome")
    return {"decision_id": r.decision_id, "ref": r.ref, "problem": problem_body(r.problem)}


@router.get("")
async def list_queue(
    svc: ServicesDep,
    who: Annotated[Principal, Depends(require(Permission.REVIEW_READ))],
    status: Annotated[Literal["pending", "approved", "denied"] | None, Query()] = "pending",
    agency: Annotated[str | None, Query(max_length=100)] = None,
    legal_basis: Annotated[str | None, Query(max_length=100)] = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    min_age_hours: Annotated[int | None, Query(ge=0, le=24 * 3660)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    filters = ReviewFilters(
        status=status,
        agency=agency,
        legal_basis=legal_basis,
        rule=rule,
        min_age_hours=min_age_hours,
    )
    viewer = (
        Viewer(subject=who.subject, role=who.role, channel="api")
        if isinstance(who, StaffPrincipal) and may(who, Permission.REVIEW_CONTEXT)
        else None
    )
    items = await run_in_threadpool(svc.reviews.workbench, viewer, filters, limit)
    return {"items": [_view(i) for i in items]}


@router.post("/bulk")
async def act_on_many(
    body: BulkAction,
    svc: ServicesDep,
    who: Annotated[StaffPrincipal, Depends(require_staff(Permission.REVIEW_ACT))],
) -> dict[str, Any]:
    keys = [(i.decision_id, i.ref) for i in body.items]
    results = await run_in_threadpool(
        svc.reviews.act_many, keys, body.action, body.note, who.subject
    )
    views = [_bulk_view(r) for r in results]
    totals: dict[str, int] = {}
    for v in views:
        key = v.get("status") or "refused"
        totals[key] = totals.get(key, 0) + 1
    return {"results": views, "totals": totals}


@router.post("/filings", status_code=201, responses=problem_responses(404, 409))
async def record_filing(
    body: FilingRecording,
    svc: ServicesDep,
    who: Annotated[StaffPrincipal, Depends(require_staff(Permission.COURT_NOTICE_RECORD))],
) -> JSONResponse:
    filing = await run_in_threadpool(
        lambda: svc.reviews.record_filing(
            body.decision_id,
            filed_by=body.filed_by,
            filed_at=body.filed_at,
            court=body.court,
            reference=body.reference,
            recorded_by=who.subject,
            recorded_by_role=who.role,
        )
    )
    return JSONResponse(filing_view(filing), status_code=201)


@router.get("/{decision_id}/{ref}", responses=problem_responses(404))
async def one_item(
    decision_id: str,
    ref: str,
    svc: ServicesDep,
    who: Annotated[StaffPrincipal, Depends(require_staff(Permission.REVIEW_CONTEXT))],
) -> dict[str, Any]:
    viewer = Viewer(subject=who.subject, role=who.role, channel="api")
    item = await run_in_threadpool(svc.reviews.work_item, viewer, decision_id, ref)
    return _view(item)


@router.post("/{decision_id}/{ref}", responses=problem_responses(404, 409))
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
    return settled_view(decision_id, ref, settled)
