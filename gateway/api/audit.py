"""``/v1/audit/*``: the auditors' API over the decision log's projection (issue 9).

Auditors only. Every call is itself an ``audit_access`` leaf of the log (see
:mod:`gateway.auditing.service`), written before anything is answered. Search
answers pages of (decision, subject) rows with an opaque cursor; ``format=csv``
or ``format=jsonl`` streams every matching row instead. Bad filters and cursors
are 422 problem documents.

The accounting takes the TIN as a query parameter, as API.md has it; the
gateway's request log names only the route template, never the query.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AwareDatetime, BaseModel, StringConstraints

from gateway.api.authz import require_staff
from gateway.api.deps import ServicesDep
from gateway.auditing import formats
from gateway.auditing.views import (
    Accounting,
    DecisionDetail,
    SearchFilters,
    SubjectOutcome,
    SummaryReport,
    Viewer,
)
from gateway.auth.permissions import Permission
from gateway.auth.tokens import StaffPrincipal

router = APIRouter(prefix="/v1/audit", tags=["audit"])

Filter = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Format = Literal["json", "csv", "jsonl"]
_CSV = "text/csv; charset=utf-8"
_JSONL = "application/jsonl; charset=utf-8"


def auditor(
    principal: Annotated[StaffPrincipal, Depends(require_staff(Permission.AUDIT_READ))],
) -> Viewer:
    """The viewer the access leaf names; auditors only (gateway.auth.permissions)."""
    return Viewer(subject=principal.subject, role=principal.role, channel="api")


AuditorDep = Annotated[Viewer, Depends(auditor)]


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


# -- wire models ------------------------------------------------------------------------------


class DecisionRowOut(BaseModel):
    decision_id: str
    position: int
    log_index: int
    kind: str
    decided_at: datetime
    agency: str
    official: str | None
    legal_basis: str | None
    purpose: str | None
    policy_revision: str | None
    decision_outcome: str
    decision_final_outcome: str
    taxpayer: str | None
    subject_outcome: str
    final_outcome: str
    request_rules: list[str]
    subject_rules: list[str]
    released: list[str]
    tax_year: int | None
    review_action: str | None
    reviewed_at: datetime | None
    review_officer: str | None
    review_log_index: int | None


class SearchOut(BaseModel):
    items: list[DecisionRowOut]
    next_cursor: str | None


class RuleOut(BaseModel):
    rule: str
    title: str | None
    citation: str | None
    message: str | None
    outcome: str | None


class ReviewOut(BaseModel):
    position: int
    action: str
    officer: str | None
    at: datetime | None
    log_index: int | None
    final_outcome: str
    tax_year: int | None


class ProofOut(BaseModel):
    """Base64 like ``/v1/log/*``: verify without the gateway (README, "For auditors")."""

    verified: bool
    problem: str | None
    leaf_index: int
    leaf: str
    leaf_hash: str
    tree_size: int
    root: str
    hashes: list[str]
    checkpoint: str
    verifier_key: str


class DecisionOut(BaseModel):
    decision_id: str
    subjects: list[DecisionRowOut]
    reviews: list[ReviewOut]
    rules: list[RuleOut]
    citations_revision: str | None
    obligations: list[str]
    penalties: list[str]
    proof: ProofOut


class RecipientOut(BaseModel):
    name: str
    title: str
    employer_agency: str


class AccountingEntryOut(BaseModel):
    decided_at: datetime
    outcome: str
    outcome_as_decided: str
    agency: str
    official: str | None
    official_name: str | None
    official_title: str | None
    recipients: list[RecipientOut]
    legal_basis: str | None
    purpose: str | None
    requested_fields: list[str]
    released: list[str]
    tax_year: int | None
    reviewed_at: datetime | None
    rules: list[str]
    decision_id: str
    log_index: int
    sealed_details: bool


class AccountingOut(BaseModel):
    taxpayer: str
    """The TIN's pseudonym; the TIN itself is never echoed."""
    disclosures: int
    entries: list[AccountingEntryOut]


class CountOut(BaseModel):
    key: str
    decisions: int
    subjects: int
    disclosed: int
    pending_review: int
    denied: int


class SummaryOut(BaseModel):
    since: datetime
    until: datetime
    total: CountOut
    by_agency: list[CountOut]
    by_legal_basis: list[CountOut]
    by_purpose: list[CountOut]
    by_outcome: list[CountOut]
    by_rule: list[CountOut]


# -- routes -----------------------------------------------------------------------------------


def _filters(
    agency: Filter | None = None,
    official: Filter | None = None,
    outcome: SubjectOutcome | None = None,
    rule: Filter | None = None,
    legal_basis: Filter | None = None,
    purpose: Filter | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> SearchFilters:
    return SearchFilters(
        agency=agency,
        official=official,
        outcome=outcome,
        rule=rule,
        legal_basis=legal_basis,
        purpose=purpose,
        since=since,
        until=until,
    )


FiltersDep = Annotated[SearchFilters, Depends(_filters)]


@router.get("/decisions", response_model=SearchOut)
async def search_decisions(
    svc: ServicesDep,
    viewer: AuditorDep,
    filters: FiltersDep,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    format: Format = "json",
) -> Any:
    """(decision, subject) rows, newest first; ``format=csv|jsonl`` streams every match."""
    if format == "json":
        page = await run_in_threadpool(svc.audit.search, viewer, filters, cursor, limit)
        return SearchOut(
            items=[DecisionRowOut(**formats.row_flat(r)) for r in page.rows],
            next_cursor=page.next_cursor,
        )
    rows = await run_in_threadpool(svc.audit.export, viewer, filters, format)
    flat = (formats.row_flat(r) for r in rows)
    lines: Iterator[str]
    if format == "csv":
        lines = formats.csv_lines(formats.ROW_COLUMNS, flat)
        return StreamingResponse(lines, media_type=_CSV, headers=_attachment("audit-decisions.csv"))
    lines = formats.jsonl_lines(flat)
    return StreamingResponse(lines, media_type=_JSONL, headers=_attachment("audit-decisions.jsonl"))


def _decision_out(d: DecisionDetail) -> DecisionOut:
    p = d.proof
    return DecisionOut(
        decision_id=d.decision_id,
        subjects=[DecisionRowOut(**formats.row_flat(r)) for r in d.rows],
        reviews=[
            ReviewOut(
                position=r.position,
                action=r.action,
                officer=r.officer,
                at=r.at,
                log_index=r.log_index,
                final_outcome=r.final_outcome,
                tax_year=r.tax_year,
            )
            for r in d.reviews
        ],
        rules=[
            RuleOut(
                rule=r.rule,
                title=r.title,
                citation=r.citation,
                message=r.message,
                outcome=r.outcome,
            )
            for r in d.rules
        ],
        citations_revision=d.citations_revision,
        obligations=list(d.obligations),
        penalties=list(d.penalties),
        proof=ProofOut(
            verified=p.verified,
            problem=p.problem,
            leaf_index=p.leaf_index,
            leaf=_b64(p.leaf),
            leaf_hash=_b64(p.leaf_hash),
            tree_size=p.tree_size,
            root=_b64(p.root),
            hashes=[_b64(h) for h in p.proof],
            checkpoint=p.checkpoint_note,
            verifier_key=p.verifier_key,
        ),
    )


@router.get("/decisions/{decision_id}", response_model=DecisionOut)
async def get_decision(
    svc: ServicesDep,
    viewer: AuditorDep,
    decision_id: Annotated[str, StringConstraints(min_length=1, max_length=64)],
) -> DecisionOut:
    """One decision: its subjects, reviews, rules with citations, and its inclusion proof."""
    detail = await run_in_threadpool(svc.audit.decision, viewer, decision_id)
    return _decision_out(detail)


def _accounting_out(a: Accounting) -> AccountingOut:
    return AccountingOut(
        taxpayer=a.taxpayer,
        disclosures=len(a.disclosures),
        entries=[AccountingEntryOut(**formats.accounting_flat(e)) for e in a.entries],
    )


@router.get("/disclosures", response_model=AccountingOut)
async def disclosures(
    svc: ServicesDep,
    viewer: AuditorDep,
    tin: Annotated[str, Query(min_length=9, max_length=11)],
    format: Literal["json", "csv"] = "json",
) -> Any:
    """The §6103(p)(3)(A) accounting for one taxpayer: disclosures, pending and denied requests."""
    accounting = await run_in_threadpool(svc.audit.accounting, viewer, tin)
    if format == "csv":
        lines = formats.csv_lines(
            formats.ACCOUNTING_COLUMNS,
            (formats.accounting_flat(e) for e in accounting.entries),
        )
        return StreamingResponse(lines, media_type=_CSV, headers=_attachment("accounting.csv"))
    return _accounting_out(accounting)


def _summary_out(r: SummaryReport) -> SummaryOut:
    return SummaryOut.model_validate(formats.summary_flat(r))


@router.get("/reports/summary", response_model=SummaryOut)
async def summary(
    svc: ServicesDep,
    viewer: AuditorDep,
    since: AwareDatetime,
    until: AwareDatetime,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Counts by agency, legal basis, purpose, final outcome and rule (§6103(p)(3)(C))."""
    report = await run_in_threadpool(svc.audit.summary, viewer, since, until)
    if format == "csv":
        lines = formats.csv_lines(formats.COUNT_COLUMNS, formats.summary_counts(report))
        return StreamingResponse(lines, media_type=_CSV, headers=_attachment("summary.csv"))
    return JSONResponse(_summary_out(report).model_dump(mode="json"))
