"""The policy enforcement point: one address lookup, start to finish.

The plan, and the only place its order is written down:

1. authenticate — done by the API dependency before this runs (no principal, no lookup);
2. validate — the body parsed into :class:`LookupRequest`; subject count bounded here;
3. replay memory — a reused ``request_id`` with another body is a conflict (409); the
   same body again, or the same body under a new id within the window, is a fact for
   the policy (GW-3, GW-3b);
4. resolve subjects — the datastore computes match facts, flags and address years; the
   cited court order is looked up in the court-order registry (the record in force at
   decision time is what the policy judges, never the agency's claim);
5. decide — OPA via :mod:`gateway.pdp.opa`; any failure there denies everything (503)
   and the failure itself is logged;
6. read what may be released — the mailing address of the tax year the policy named;
7. log — append the decision record; only a durable index lets anything leave;
8. redact and answer — :func:`gateway.redaction.redact` per subject (a request the
   policy denied releases nothing, whatever its subject entries say), then store the
   answer for ``GET /v1/address-lookups/{decision_id}`` and queue every subject the
   policy sent to human review (``gateway.reviews`` settles them later).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from gateway.audit.canonical import canonical_json
from gateway.audit.log import DecisionLog
from gateway.audit.record import SubjectEntry, decision_record, failure_record
from gateway.audit.sealing import AuditKeys
from gateway.auth.tokens import AgencyPrincipal
from gateway.clock import Clock
from gateway.court_orders.resolve import resolve_court_order
from gateway.domain import (
    LookupRequest,
    LookupResponse,
    Reason,
    ReleasedAddress,
    Subject,
    SubjectResult,
    normalize_tin,
)
from gateway.errors import (
    ConflictError,
    DatastoreUnavailableError,
    InvalidRequestError,
    PolicyEngineUnavailableError,
)
from gateway.pdp.active import ActivePolicy
from gateway.pdp.decision import Decision, Effect, Finding, SubjectDecision
from gateway.pdp.input import ReplayFacts, build_policy_input
from gateway.pdp.opa import PolicyEngine
from gateway.redaction import final_outcome, redact
from gateway.store.lookups import LookupStore, StoredLookup
from gateway.store.reviews import ReviewRow
from gateway.store.taxpayers import (
    MailingAddress,
    SubjectQuery,
    SubjectResolution,
    mailing_address,
    resolve_subject,
)

log = structlog.get_logger(__name__)

UNIFORM_DENIAL = Reason(
    rule="GW-11",
    citation="26 U.S.C. 6103(b)(2)(A); IRM 11.3.21",
    message="No disclosure can be made for this entry.",
)


@dataclass(frozen=True)
class PipelineLimits:
    max_subjects: int


def payload_digest(request: LookupRequest) -> str:
    """SHA-256 of what the request asks, in canonical JSON, leaving out its ``request_id``.

    Leaving the id out is what lets GW-3b recognise the same ask resent under a new
    id; formatting differences (key order, whitespace) do not make a request new.
    """
    content = request.model_dump(mode="json", exclude={"request_id"})
    return hashlib.sha256(canonical_json(content)).hexdigest()


def subjects_digest(request: LookupRequest) -> str:
    """SHA-256 over who is asked about and for which periods, order-independent (GW-3b)."""
    keys = sorted(
        canonical_json(
            {
                "who": normalize_tin(s.tin)
                or "|".join(
                    p.strip().casefold() for p in ((s.name.first, s.name.last) if s.name else ())
                ),
                "dob": s.date_of_birth.isoformat() if s.date_of_birth else None,
                "periods": s.taxable_periods
                if s.taxable_periods == "ALL"
                else tuple(sorted(s.taxable_periods)),
            }
        )
        for s in request.subjects
    )
    return hashlib.sha256(b"\n".join(keys)).hexdigest()


def _query(subject: Subject) -> SubjectQuery:
    name, addr = subject.name, subject.address
    return SubjectQuery(
        tin=normalize_tin(subject.tin),
        first=name.first if name else None,
        middle=name.middle if name else None,
        last=name.last if name else None,
        date_of_birth=subject.date_of_birth,
        line1=addr.line1 if addr else None,
        city=addr.city if addr else None,
        state=addr.state if addr else None,
        zip=addr.zip if addr else None,
    )


def _taxpayer_key(subject: Subject, resolution: SubjectResolution) -> str:
    tin = resolution.record_tin or normalize_tin(subject.tin)
    if tin:
        return f"tin:{tin}"
    name = subject.name
    parts = [name.first, name.last] if name else []
    dob = subject.date_of_birth.isoformat() if subject.date_of_birth else ""
    return "person:" + "|".join(p.strip().casefold() for p in [*parts, dob])


def _reason(f: Finding) -> Reason:
    return Reason(rule=f.rule, citation=f.citation, message=f.message)


def request_outcome(results: list[SubjectResult]) -> str:
    outcomes = [r.outcome for r in results]
    if outcomes and all(o == "disclosed" for o in outcomes):
        return "allowed"
    if any(o == "disclosed" for o in outcomes):
        return "partially_allowed"
    if any(o == "pending_review" for o in outcomes):
        return "pending_review"
    return "denied"


def _subject_entries(
    request: LookupRequest,
    resolutions: list[SubjectResolution],
    decision: Decision,
    results: list[SubjectResult],
) -> list[SubjectEntry]:
    """What the log records of each subject: pseudonymous, with every rule that fired."""
    return [
        SubjectEntry(
            ref=s.ref,
            taxpayer_key=_taxpayer_key(s, r),
            outcome=res.outcome,
            rules=[f.rule for f in d.findings],
            released=["last_known_address"] if res.address else [],
            withheld=res.redacted,
            released_tax_year=res.address.tax_year if res.address else None,
        )
        for s, r, d, res in zip(
            request.subjects, resolutions, decision.subjects, results, strict=True
        )
    ]


def _pending_reviews(
    decision_id: str,
    agency_id: str,
    legal_basis: str,
    at: datetime,
    resolutions: list[SubjectResolution],
    decision: Decision,
    results: list[SubjectResult],
) -> list[ReviewRow]:
    """Queue rows for the subjects a disclosure officer must settle (``gateway.reviews``)."""
    return [
        ReviewRow(
            decision_id=decision_id,
            position=i,
            ref=res.ref,
            agency_id=agency_id,
            legal_basis=legal_basis,
            status="pending",
            taxpayer_id=r.taxpayer_id,
            release_tax_year=d.release_tax_year,
            findings=[f.model_dump() for f in (*decision.reasons, *d.findings)],
            obligations=list(decision.obligations),
            created_at=at,
            decided_at=None,
            officer=None,
            log_index=None,
        )
        for i, (r, d, res) in enumerate(zip(resolutions, decision.subjects, results, strict=True))
        if res.outcome == "pending_review"
    ]


class LookupPipeline:
    def __init__(
        self,
        *,
        engine: Engine,
        active: ActivePolicy,
        decision_log: DecisionLog,
        lookups: LookupStore,
        audit_keys: AuditKeys,
        clock: Clock,
        limits: PipelineLimits,
    ) -> None:
        self._engine = engine
        self._active = active
        self._log = decision_log
        self._lookups = lookups
        self._keys = audit_keys
        self._clock = clock
        self._limits = limits

    def run(self, principal: AgencyPrincipal, request: LookupRequest) -> LookupResponse:
        received_at = self._clock.now()
        policy = self._active.current()  # one (engine, revision) pair for the whole decision
        # 2. validate what the schema cannot know
        if len(request.subjects) > self._limits.max_subjects:
            raise InvalidRequestError(
                f"at most {self._limits.max_subjects} subjects per request",
                extra={"errors": [{"loc": ["subjects"], "msg": "too many subjects"}]},
            )
        digest = payload_digest(request)
        who = subjects_digest(request)
        agency_id = principal.agency.id
        # 3. replay memory
        prior = self._lookups.by_request_id(agency_id, request.request_id)
        if prior is not None and prior.payload_sha256 != digest:
            raise ConflictError("request_id was already used with a different body")
        duplicate = self._lookups.recent_duplicate(
            agency_id, digest, who, request.request_id, received_at - policy.duplicate_window
        )
        replay = ReplayFacts(
            request_id_seen=prior is not None,
            nonce_seen=False,  # a replayed jti never gets past authentication
            duplicate_of=(duplicate.request_id, duplicate.created_at) if duplicate else None,
        )
        decision_id = str(uuid.uuid4())
        decided_at = self._clock.now()
        try:
            with Session(self._engine) as session:
                # 4. resolve subjects
                resolutions = [resolve_subject(session, _query(s)) for s in request.subjects]
                # the order the request cites, as the court-order registry knew it then
                court_order = resolve_court_order(
                    session.connection(), request.court_order, decided_at
                )
                policy_input = build_policy_input(
                    principal=principal,
                    request=request,
                    resolutions=resolutions,
                    payload_sha256=digest,
                    received_at=received_at,
                    decision_time=decided_at,
                    replay=replay,
                    court_order=court_order,
                    facts=policy.facts,
                )
                # 5. decide
                decision = self._decide(
                    policy.engine, decision_id, decided_at, agency_id, policy_input
                )
                # 6. read only what the decision may release
                addresses = [
                    self._address(session, r, d, decision.request_effect)
                    for r, d in zip(resolutions, decision.subjects, strict=True)
                ]
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError("the taxpayer datastore cannot be read") from exc
        results = [
            self._result(s, d, a, list(request.fields), decision.request_effect)
            for s, d, a in zip(request.subjects, decision.subjects, addresses, strict=True)
        ]
        outcome = request_outcome(results)
        # 7. log before disclose
        record = decision_record(
            keys=self._keys,
            decision_id=decision_id,
            decided_at=decided_at,
            policy_revision=policy.revision,
            agency_id=agency_id,
            official_id=principal.official.id,
            request_id=request.request_id,
            legal_basis=policy_input["legal_basis"],
            purpose_category=policy_input["purpose"]["category"],
            outcome=outcome,
            request_rules=[f.rule for f in decision.reasons],
            subjects=_subject_entries(request, resolutions, decision, results),
            obligations=decision.obligations,
            policy_input=policy_input,
            penalties=[p.rule for p in decision.penalties],
        )
        log_index = self._log.append("decision", record, at=decided_at)
        # 8. answer
        response = LookupResponse(
            decision_id=decision_id,
            log_index=log_index,
            policy_revision=policy.revision,
            decided_at=decided_at,
            outcome=outcome,
            reasons=[_reason(f) for f in decision.reasons],
            results=results,
        )
        pending = _pending_reviews(
            decision_id,
            agency_id,
            policy_input["legal_basis"],
            decided_at,
            resolutions,
            decision,
            results,
        )
        self._lookups.save(
            StoredLookup(
                decision_id=decision_id,
                request_id=request.request_id,
                agency_id=agency_id,
                payload_sha256=digest,
                status=outcome,
                response_json=response.model_dump_json(),
                created_at=decided_at,
                subjects_digest=who,
            ),
            pending,
        )
        return response

    def _decide(
        self,
        engine: PolicyEngine,
        decision_id: str,
        at: datetime,
        agency_id: str,
        policy_input: dict[str, object],
    ) -> Decision:
        try:
            return engine.decide(policy_input)
        except PolicyEngineUnavailableError as exc:
            # Fail closed, and leave a trace of the refusal in the log itself.
            log.warning("policy.unavailable", decision_id=decision_id, error=exc.detail)
            self._log.append(
                "decision_failure",
                failure_record(
                    decision_id=decision_id,
                    at=at,
                    agency_id=agency_id,
                    stage="decide",
                    error=exc.detail,
                ),
                at=at,
            )
            raise

    @staticmethod
    def _address(
        session: Session,
        resolution: SubjectResolution,
        decision: SubjectDecision,
        request_outcome: Effect,
    ) -> MailingAddress | None:
        # Reading an address the answer may not carry would be an inspection with no purpose.
        if (
            final_outcome(request_outcome, decision) != "disclosed"
            or not decision.releases_address
            or resolution.taxpayer_id is None
        ):
            return None
        assert decision.release_tax_year is not None
        return mailing_address(session, resolution.taxpayer_id, decision.release_tax_year)

    @staticmethod
    def _result(
        subject: Subject,
        decision: SubjectDecision,
        address: MailingAddress | None,
        requested: list[str],
        request_outcome: Effect,
    ) -> SubjectResult:
        released = redact(decision, address, requested, request_outcome=request_outcome)
        if released.outcome == "denied":
            # GW-11: a denied entry never shows whether a record exists. A subject entry
            # overruled by its request's denial keeps none of the findings that allowed it.
            overruled = decision.outcome != "DENY" and request_outcome == "DENY"
            reasons = [
                _reason(f)
                for f in decision.reasons
                if f.rule != UNIFORM_DENIAL.rule and not (overruled and f.outcome != "DENY")
            ]
            reasons.append(UNIFORM_DENIAL)
        else:
            reasons = [_reason(f) for f in decision.reasons]
        addr = released.address
        return SubjectResult(
            ref=subject.ref,
            outcome=released.outcome,
            address=(
                ReleasedAddress(
                    line1=addr.line1,
                    line2=addr.line2,
                    city=addr.city,
                    state=addr.state,
                    zip=addr.zip,
                    tax_year=addr.tax_year,
                )
                if addr
                else None
            ),
            redacted=released.redacted,
            reasons=reasons,
        )
