"""The human review queue: disclosure officers settle subjects the policy could not.

The plan of :meth:`ReviewService.act`, one method a step:

1. the pending item (``_pending_item``) — 404 if there is none, 409 if it was settled;
2. for an approval, what must come first (``_obligations_met``): the court notice
   that a ``COURT_NOTICE`` obligation (INJ-0, INJ-3) demands must have been filed
   and recorded (:meth:`ReviewService.record_filing`, a ``court_notice_filing``
   leaf), else 409 naming the missing filing; and an item touching DHS or an
   injunction rule needs two different officers (``needs_two_officers``): the
   first approval is recorded (a ``review_first_approval`` leaf) and releases
   nothing, another officer's approval releases, the same officer twice is 409.
   A denial needs one officer and nothing before it;
3. what the action releases (``_release``) — through :func:`gateway.redaction.redact`,
   the one release path: an approval releases at most what the policy allowed at
   decision time (the mailing address of the tax year the decision named, if the
   agency asked for it), and a denial nothing. An approval that would release nothing
   (no unique record, no address for that year) is refused (409: deny instead);
4. log and settle, one transaction (``_log_and_settle``) — the review leaf, the queue
   row and the agency's stored answer (the subject's new result, the request's new
   outcome, so that ``GET /v1/address-lookups/{decision_id}`` shows it) commit
   together, as the leaf's companion (:meth:`gateway.audit.log.DecisionLog.append`).
   If another officer settled the subject first, the companion refuses and no leaf
   claims a settlement that did not happen (409).

The workbench (:meth:`ReviewService.workbench`) shows each item with what the
policy saw that a person needs to judge it — the purpose, case, specific
reason, recipients, the supplied identity and the datastore's match facts —
read from the decision leaf's sealed policy input and unsealed here, on the
server, only for a caller whose role may (``REVIEW_CONTEXT``); each such look is
an ``audit_access`` leaf, as an auditor's is. The officer recorded anywhere is
the staff registry id of the token (``gateway.auth.registry``).

The texts an officer's action adds — the approval reason and the uniform denial —
and the court notice shown in the queue are the active policy's
(:mod:`gateway.pdp.texts`), never written here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import structlog
from sqlalchemy import and_, exists, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from gateway.audit.log import DecisionLog
from gateway.audit.record import (
    court_notice_filing_record,
    review_first_approval_record,
    review_record,
)
from gateway.audit.sealing import AuditKeys
from gateway.auditing.queries import leaf_bodies
from gateway.auditing.service import ACCESS_KIND, access_record
from gateway.auditing.tables import PROJECTION, PROJECTION_RULE
from gateway.auditing.views import Viewer
from gateway.auth.registry import Registry
from gateway.clock import Clock
from gateway.domain import LookupResponse, Reason, SubjectResult
from gateway.errors import ConflictError, GatewayError, InvalidRequestError, NotFoundError
from gateway.outcomes import request_outcome
from gateway.pdp.active import ActivePolicy
from gateway.pdp.decision import Finding, SubjectDecision
from gateway.pdp.texts import COURT_NOTICE, GatewayTexts
from gateway.redaction import RedactedResult, redact
from gateway.store.lookups import LookupStore, read_answer, update_answer
from gateway.store.models import REVIEW_ITEM
from gateway.store.reviews import (
    CourtNoticeFilingRow,
    FirstApprovalRow,
    ReviewRow,
    add_filing,
    add_first_approval,
    filings,
    first_approvals,
    for_decision,
    list_reviews,
    review_row,
    settle,
)
from gateway.store.taxpayers import MailingAddress, mailing_address

log = structlog.get_logger(__name__)

Action = Literal["approve", "deny"]
Status = Literal["approved", "denied", "awaiting_second_approval"]
MAX_BULK = 200
"""Most items one bulk action settles: each is its own leaf and transaction."""
MISSING_FILING = "court_notice_filing"


@dataclass(frozen=True)
class Settled:
    item: ReviewRow
    log_index: int
    status: Status = "approved"


@dataclass(frozen=True)
class BulkResult:
    """One item of a bulk action: settled (``settled``) or refused (``problem``)."""

    decision_id: str
    ref: str
    settled: Settled | None
    problem: GatewayError | None


@dataclass(frozen=True)
class ReviewFilters:
    """What the workbench narrows the queue to; None means "any"."""

    status: str | None = "pending"
    agency: str | None = None
    legal_basis: str | None = None
    rule: str | None = None
    """A rule that fired for the subject (request-level or its own)."""
    min_age_hours: int | None = None
    """Only items that have waited at least this long."""
    decision_id: str | None = None


@dataclass(frozen=True)
class WorkItem:
    """A queue item with everything an officer needs to settle it."""

    item: ReviewRow
    age_seconds: float
    court_notices: list[str]
    notice_required: bool
    filing: CourtNoticeFilingRow | None
    two_officers: bool
    first_approval: FirstApprovalRow | None
    context: dict[str, Any] | None
    """What the policy saw about this subject (None: not for this caller, or unreadable)."""

    @property
    def waiting_for(self) -> list[str]:
        """What an approval still waits for, in words for the page and the API."""
        waits: list[str] = []
        if self.item.status != "pending":
            return waits
        if self.notice_required and self.filing is None:
            waits.append("the court notice's filing")
        if self.two_officers:
            waits.append(
                "a second officer's approval"
                if self.first_approval is not None
                else "two officers' approvals"
            )
        return waits


def _reason(f: Finding) -> Reason:
    return Reason(rule=f.rule, citation=f.citation, message=f.message)


def _entities(fact: Any) -> list[dict[str, Any]]:
    if not isinstance(fact, dict):
        return []
    found = [fact.get("resolved"), *(fact.get("mentions") or [])]
    return [e for e in found if isinstance(e, dict)]


def needs_two_officers(
    item: ReviewRow, policy_input: dict[str, Any] | None, registry: Registry
) -> bool:
    """The two-person rule: an item touching DHS or an injunction rule (INJ-*).

    DHS is touched when the requesting agency is part of DHS, or a recipient's
    employer or a planned onward recipient resolves to or mentions a DHS entry
    of the registry (the facts the policy itself read). An input that cannot be
    read counts as touching DHS: the rule fails closed.
    """
    if any(str(f.get("rule", "")).startswith("INJ-") for f in item.findings):
        return True
    agency = registry.agencies.get(item.agency_id)
    if agency is None or agency.is_dhs:
        return True
    if policy_input is None:
        return True
    requester = policy_input.get("requester") or {}
    purpose = policy_input.get("purpose") or {}
    facts = [r.get("employer") for r in requester.get("recipients") or []]
    facts += list(purpose.get("onward_sharing") or [])
    for fact in facts:
        for entity in _entities(fact):
            kind, key = entity.get("kind"), str(entity.get("id"))
            if kind == "AGENCY" and (a := registry.agencies.get(key)) and a.is_dhs:
                return True
            if kind == "DEPARTMENT" and key in registry.dhs_departments:
                return True
    return False


def review_context(policy_input: dict[str, Any], position: int) -> dict[str, Any]:
    """The parts of the sealed policy input an officer needs for one subject.

    The request-level parts (purpose, recipients, signer, court order) and this
    subject's own (supplied identity, specific reason, match facts, record
    facts); another subject of a bulk request is never included.
    """
    requester = policy_input.get("requester") or {}
    purpose = policy_input.get("purpose") or {}
    taxpayers = policy_input.get("taxpayers") or []
    subject = taxpayers[position] if 0 <= position < len(taxpayers) else {}
    order = policy_input.get("court_order")
    return {
        "purpose": {
            "category": purpose.get("category"),
            "enforcement_nature": purpose.get("enforcement_nature"),
            "description": purpose.get("description"),
            "case_number": purpose.get("case_or_proceeding_no"),
            "statutes": [
                {"cited": s.get("text"), "citation": s.get("citation"), "title": s.get("title")}
                for s in purpose.get("statutes") or []
            ],
            "downstream_civil_use": purpose.get("downstream_civil_use"),
            "onward_sharing_to": list(purpose.get("onward_sharing_to") or []),
        },
        "signer": requester.get("signer"),
        "recipients": [
            {
                "name": r.get("name"),
                "title": r.get("title"),
                "employer_agency": r.get("employer_agency"),
                "is_employee": r.get("is_employee"),
                "personally_directly_engaged": r.get("personally_directly_engaged"),
                "attested_open_caseload": r.get("attested_open_caseload"),
            }
            for r in requester.get("recipients") or []
        ],
        "requested_fields": list(policy_input.get("requested_fields") or []),
        "bulk_count": policy_input.get("bulk_count"),
        "court_order": (
            {
                k: order.get(k)
                for k in (
                    "order_type",
                    "issuing_court",
                    "docket_number",
                    "judge_name",
                    "issued_at",
                    "expires_at",
                    "verified_with_court",
                    "discrepancies",
                )
            }
            if isinstance(order, dict)
            else None
        ),
        "specific_reason": subject.get("specific_reason"),
        "taxable_periods": subject.get("taxable_periods"),
        "supplied": subject.get("supplied"),
        "match": subject.get("match"),
        "record_flags": subject.get("record_flags"),
        "record": subject.get("record"),
    }


class ReviewService:
    def __init__(
        self,
        *,
        engine: Engine,
        active: ActivePolicy,
        decision_log: DecisionLog,
        lookups: LookupStore,
        audit_keys: AuditKeys,
        clock: Clock,
        registry: Callable[[], Registry],
    ) -> None:
        self._engine = engine
        self._active = active
        self._log = decision_log
        self._lookups = lookups
        self._keys = audit_keys
        self._clock = clock
        self._registry = registry

    def queue(self, status: str | None, limit: int = 200) -> list[ReviewRow]:
        return list_reviews(self._engine, status, limit)

    def court_notices(self, item: ReviewRow) -> list[str]:
        """What the officer must do before releasing ``item``, in the active policy's words."""
        if COURT_NOTICE not in item.obligations:
            return []
        return [self._active.current().texts.court_notice]

    # -- the workbench ----------------------------------------------------------------------

    def workbench(
        self, viewer: Viewer | None, filters: ReviewFilters, limit: int = 200
    ) -> list[WorkItem]:
        """The items ``filters`` selects, oldest first, with what an officer needs.

        ``viewer`` is who may see the unsealed context (None: nobody; the items come
        without it). Their look is an ``audit_access`` leaf, written before anything
        is unsealed; if it cannot be written, nothing is shown.
        """
        now = self._clock.now()
        if viewer is not None:
            filters_json: dict[str, Any] = {
                k: v for k, v in filters.__dict__.items() if v is not None
            }
            body = access_record(
                viewer=viewer,
                at=now,
                action="review_queue",
                keys=self._keys,
                filters=filters_json,
            )
            self._log.append(ACCESS_KIND, body, at=now)
        rows = self._select(filters, limit, now)
        with self._engine.connect() as conn:
            filed = filings(conn, [r.decision_id for r in rows])
            firsts = first_approvals(conn, [(r.decision_id, r.position) for r in rows])
            inputs = self._inputs(conn, rows)
        registry = self._registry()
        texts = self._active.current().texts
        return [
            WorkItem(
                item=r,
                age_seconds=max(0.0, (now - r.created_at).total_seconds()),
                court_notices=[texts.court_notice] if COURT_NOTICE in r.obligations else [],
                notice_required=COURT_NOTICE in r.obligations,
                filing=filed.get(r.decision_id),
                two_officers=needs_two_officers(r, inputs.get(r.decision_id), registry),
                first_approval=firsts.get((r.decision_id, r.position)),
                context=(
                    review_context(inputs[r.decision_id], r.position)
                    if viewer is not None and r.decision_id in inputs
                    else None
                ),
            )
            for r in rows
        ]

    def work_item(self, viewer: Viewer, decision_id: str, ref: str) -> WorkItem:
        """One item, whatever its status, with its context; 404 if there is none."""
        items = [
            w
            for w in self.workbench(
                viewer, ReviewFilters(status=None, decision_id=decision_id), limit=MAX_BULK
            )
            if w.item.ref == ref
        ]
        if not items:
            raise NotFoundError("no review item for this decision and ref")
        return items[0]

    def _select(self, filters: ReviewFilters, limit: int, now: datetime) -> list[ReviewRow]:
        """Oldest first; each row with its decision leaf's index, from the audit projection
        (written in that leaf's own transaction, so a queued item always has it)."""
        t, p = REVIEW_ITEM, PROJECTION
        query = (
            select(t, p.c.log_index.label("decision_log_index"))
            .select_from(
                t.outerjoin(
                    p, and_(p.c.decision_id == t.c.decision_id, p.c.position == t.c.position)
                )
            )
            .order_by(t.c.created_at, t.c.decision_id, t.c.position)
            .limit(limit)
        )
        if filters.status is not None:
            query = query.where(t.c.status == filters.status)
        if filters.agency is not None:
            query = query.where(t.c.agency_id == filters.agency)
        if filters.decision_id is not None:
            query = query.where(t.c.decision_id == filters.decision_id)
        if filters.legal_basis is not None:
            query = query.where(t.c.legal_basis == filters.legal_basis)
        if filters.min_age_hours is not None:
            query = query.where(t.c.created_at <= now - timedelta(hours=filters.min_age_hours))
        if filters.rule is not None:
            r = PROJECTION_RULE
            query = query.where(
                exists().where(
                    r.c.decision_id == t.c.decision_id,
                    r.c.position == t.c.position,
                    r.c.rule == filters.rule,
                )
            )
        with self._engine.connect() as conn:
            return [review_row(row) for row in conn.execute(query)]

    def _inputs(self, conn: Connection, rows: Sequence[ReviewRow]) -> dict[str, dict[str, Any]]:
        """The sealed policy input of each row's decision, opened with the audit key."""
        indices = {r.decision_id: r.decision_log_index for r in rows}
        bodies = leaf_bodies(conn, [i for i in indices.values() if i is not None])
        opened: dict[str, dict[str, Any]] = {}
        for decision_id, index in indices.items():
            body = bodies.get(index) if index is not None else None
            if body is None:
                continue
            sealed = json.loads(body).get("sealed_input")
            if not isinstance(sealed, dict):
                continue
            try:
                opened[decision_id] = json.loads(
                    self._keys.unseal(sealed, associated_data=decision_id.encode())
                )
            except (ValueError, KeyError):  # another key (rotated), or damaged
                log.warning("review.input_unreadable", decision_id=decision_id)
        return opened

    def _item_with_input(
        self, decision_id: str, ref: str
    ) -> tuple[ReviewRow, dict[str, Any] | None]:
        with self._engine.connect() as conn:
            items = [i for i in for_decision(conn, decision_id) if i.ref == ref]
            if not items:
                raise NotFoundError("no review item for this decision and ref")
            index = conn.execute(
                select(PROJECTION.c.log_index).where(
                    PROJECTION.c.decision_id == decision_id,
                    PROJECTION.c.position == items[0].position,
                )
            ).scalar_one_or_none()
            item = items[0]
            with_index = replace(item, decision_log_index=index)
            return item, self._inputs(conn, [with_index]).get(decision_id)

    # -- court-notice filings ---------------------------------------------------------------

    def record_filing(
        self,
        decision_id: str,
        *,
        filed_by: str,
        filed_at: datetime,
        court: str,
        reference: str,
        recorded_by: str,
        recorded_by_role: str,
    ) -> CourtNoticeFilingRow:
        """Record that the court notice a decision's obligation demands was filed.

        404 if the decision has no review item, 409 if none of its items carries the
        obligation or a filing is recorded already, 422 for a filing dated later than
        now (a notice cannot be recorded before it is filed).
        """
        now = self._clock.now()
        with self._engine.connect() as conn:
            items = for_decision(conn, decision_id)
        if not items:
            raise NotFoundError("no review item for this decision")
        if not any(COURT_NOTICE in i.obligations for i in items):
            raise ConflictError("this decision carries no court-notice obligation")
        if filed_at.tzinfo is None:
            raise InvalidRequestError("filed_at must name its time zone (RFC 3339)")
        if filed_at > now + timedelta(minutes=5):
            raise InvalidRequestError("filed_at is in the future: record a filing once it is made")
        body = court_notice_filing_record(
            decision_id=decision_id,
            filed_by=filed_by,
            filed_at=filed_at,
            court=court,
            reference=reference,
            recorded_by=recorded_by,
            recorded_by_role=recorded_by_role,
            recorded_at=now,
        )
        holder: list[CourtNoticeFilingRow] = []

        def write(conn: Connection, log_index: int) -> None:
            row = CourtNoticeFilingRow(
                decision_id=decision_id,
                filed_by=filed_by,
                filed_at=filed_at,
                court=court,
                reference=reference,
                recorded_by=recorded_by,
                recorded_by_role=recorded_by_role,
                recorded_at=now,
                log_index=log_index,
            )
            if not add_filing(conn, row):
                raise ConflictError("a court-notice filing is already recorded for this decision")
            holder[:] = [row]

        self._log.append("court_notice_filing", body, at=now, companion=write)
        log.info("review.court_notice_filed", decision_id=decision_id, by=recorded_by)
        return holder[-1]

    # -- acting on items --------------------------------------------------------------------

    def act(self, decision_id: str, ref: str, action: Action, note: str, officer: str) -> Settled:
        """The plan of the module docstring, step by step."""
        texts = self._active.current().texts
        item = self._pending_item(decision_id, ref)
        filing: CourtNoticeFilingRow | None = None
        first: FirstApprovalRow | None = None
        if action == "approve":
            filing, first, two = self._obligations_met(item, officer)
            if two and first is None:
                return self._first_approval(item, note, officer)
        released = self._release(item, action)
        return self._log_and_settle(
            item, action, released, note, officer, texts, first=first, filing=filing
        )

    def act_many(
        self, items: Sequence[tuple[str, str]], action: Action, note: str, officer: str
    ) -> list[BulkResult]:
        """One action and note for many items; each is settled (or refused) on its own,
        with its own leaf, as if acted on alone, and each result is reported."""
        if not items:
            raise InvalidRequestError("select at least one item")
        if len(items) > MAX_BULK:
            raise InvalidRequestError(f"at most {MAX_BULK} items at once")
        results: list[BulkResult] = []
        for decision_id, ref in items:
            try:
                settled = self.act(decision_id, ref, action, note, officer)
            except GatewayError as exc:
                if exc.status >= 500:
                    raise
                results.append(BulkResult(decision_id, ref, None, exc))
            else:
                results.append(BulkResult(decision_id, ref, settled, None))
        return results

    # -- 1. the pending item ---------------------------------------------------------------

    def _pending_item(self, decision_id: str, ref: str) -> ReviewRow:
        with self._engine.connect() as conn:
            items = [i for i in for_decision(conn, decision_id) if i.ref == ref]
        if not items:
            raise NotFoundError("no review item for this decision and ref")
        pending = [i for i in items if i.status == "pending"]
        if not pending:
            raise ConflictError("this subject has already been reviewed")
        return pending[0]

    # -- 2. what must come before an approval ----------------------------------------------

    def _obligations_met(
        self, item: ReviewRow, officer: str
    ) -> tuple[CourtNoticeFilingRow | None, FirstApprovalRow | None, bool]:
        """The filing and first approval an approval rests on, and whether two officers
        are needed; a 409 naming what is missing if the approval must wait."""
        with self._engine.connect() as conn:
            filing = filings(conn, [item.decision_id]).get(item.decision_id)
            first = first_approvals(conn, [(item.decision_id, item.position)]).get(
                (item.decision_id, item.position)
            )
        if COURT_NOTICE in item.obligations and filing is None:
            raise ConflictError(
                "approval refused: the court notice this decision's COURT_NOTICE obligation"
                " demands has no recorded filing; record the filing (who, when, court,"
                f" reference) with POST /v1/reviews/filings for decision {item.decision_id}"
                " first",
                extra={
                    "missing": MISSING_FILING,
                    "obligation": COURT_NOTICE,
                    "decision_id": item.decision_id,
                },
            )
        _, policy_input = self._item_with_input(item.decision_id, item.ref)
        two = needs_two_officers(item, policy_input, self._registry())
        if two and first is not None and first.officer == officer:
            raise ConflictError(
                "approval refused: the two-person rule needs another officer; you gave"
                f" the first approval (log index {first.log_index})",
                extra={"missing": "second_officer", "first_officer": first.officer},
            )
        return filing, (first if two else None), two

    def _first_approval(self, item: ReviewRow, note: str, officer: str) -> Settled:
        """Record the first of two approvals: a leaf and its row, nothing released."""
        now = self._clock.now()
        body = review_first_approval_record(
            keys=self._keys,
            decision_id=item.decision_id,
            position=item.position,
            agency_id=item.agency_id,
            ref=item.ref,
            officer=officer,
            at=now,
            note=note,
        )

        def write(conn: Connection, log_index: int) -> None:
            row = FirstApprovalRow(item.decision_id, item.position, officer, now, log_index)
            if not add_first_approval(conn, row):
                raise ConflictError(
                    "another officer acted on this subject at the same time; reload and retry"
                )

        index = self._log.append("review_first_approval", body, at=now, companion=write)
        return Settled(item=item, log_index=index, status="awaiting_second_approval")

    # -- 3. what the action releases -------------------------------------------------------

    def _release(self, item: ReviewRow, action: Action) -> RedactedResult:
        stored = self._lookups.get(item.decision_id)
        if stored is None:
            raise NotFoundError("no stored answer for this decision")
        before = LookupResponse.model_validate_json(stored.response_json).results[item.position]
        # The officer's action is the subject's decision now; the tax year stays the one
        # the policy named. A subject in review withholds every field the agency asked
        # for, so its withheld list is what was asked.
        decision = SubjectDecision(
            ref=item.ref,
            outcome="ALLOW" if action == "approve" else "DENY",
            release_tax_year=item.release_tax_year,
            redacted=[],
            findings=[],
            reasons=[],
        )
        address = self._address(item) if action == "approve" else None
        released = redact(decision, address, before.redacted, request_outcome=decision.outcome)
        if action == "approve" and released.address is None:
            raise ConflictError(
                "approval would release nothing: no unique record, no address on file for"
                " the allowed tax year, or no address asked for; deny instead"
            )
        return released

    def _address(self, item: ReviewRow) -> MailingAddress | None:
        if item.taxpayer_id is None or item.release_tax_year is None:
            return None
        with Session(self._engine) as session:
            return mailing_address(session, item.taxpayer_id, item.release_tax_year)

    # -- 4. log and settle, one transaction ------------------------------------------------

    def _log_and_settle(
        self,
        item: ReviewRow,
        action: Action,
        released: RedactedResult,
        note: str,
        officer: str,
        texts: GatewayTexts,
        *,
        first: FirstApprovalRow | None = None,
        filing: CourtNoticeFilingRow | None = None,
    ) -> Settled:
        now = self._clock.now()
        record = review_record(
            keys=self._keys,
            decision_id=item.decision_id,
            position=item.position,
            agency_id=item.agency_id,
            ref=item.ref,
            action=action,
            officer=officer,
            at=now,
            note=note,
            released_tax_year=released.address.tax_year if released.address else None,
            first_approval_index=first.log_index if first else None,
            court_notice_filing_index=filing.log_index if filing else None,
        )

        def settle_answer(conn: Connection, log_index: int) -> None:
            status = "approved" if action == "approve" else "denied"
            if not settle(conn, item, status=status, officer=officer, at=now, log_index=log_index):
                raise ConflictError("this subject was reviewed concurrently")
            stored = read_answer(conn, item.decision_id)
            if stored is None:
                raise NotFoundError("no stored answer for this decision")
            answer = LookupResponse.model_validate_json(stored.response_json)
            results = list(answer.results)
            before = results[item.position]
            reasons = (
                [*before.reasons, _reason(texts.review_approved)]
                if released.outcome == "disclosed"
                else [_reason(texts.uniform_denial)]
            )
            results[item.position] = SubjectResult(
                ref=before.ref,
                outcome=released.outcome,
                address=released.address,
                redacted=released.redacted,
                reasons=reasons,
            )
            outcome = request_outcome(r.outcome for r in results)
            updated = answer.model_copy(update={"results": results, "outcome": outcome})
            update_answer(
                conn, item.decision_id, response_json=updated.model_dump_json(), status=outcome
            )

        index = self._log.append("review", record, at=now, companion=settle_answer)
        return Settled(
            item=item, log_index=index, status="approved" if action == "approve" else "denied"
        )
