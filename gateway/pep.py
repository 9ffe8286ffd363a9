"""The policy enforcement point: one address lookup, start to finish.

The plan, and the only place its order is written down (each step is one method
of :class:`LookupPipeline`, called in this order by :meth:`LookupPipeline.run`):

1. authenticate — done by the API dependency before this runs (no principal, no lookup);
2. validate (``_validate``) — the body parsed into :class:`LookupRequest`; subject count
   bounded here;
3. replay memory (``_replay_memory``) — a reused ``request_id`` with another body is a
   conflict (409); the same body again, or the same body under a new id within the
   window, is a fact for the policy (GW-3, GW-3b). Step 8 reads these facts again under
   the log's write lock, which every process takes; if an identical request committed
   in between, the lookup is decided again from here (at most three times), so of
   identical requests racing on any number of workers exactly one is decided as new;
4. resolve subjects (``_resolve``) — the datastore computes match facts, flags and
   address years, all subjects together in chunks of a few hundred (one or two statements
   per chunk, :func:`gateway.store.taxpayers.resolve_subjects`); the cited court order is
   looked up in the court-order registry (the record in force at decision time is what the
   policy judges, never the agency's claim);
5. decide (``_decide``) — the policy input built from those facts, decided by OPA via
   :mod:`gateway.pdp.opa`; any failure there denies everything (503) and the failure
   itself is logged;
6. take what may be released (``_releasable``) — the mailing address of the tax year the
   policy named, from the rows step 4 read for the address years, and nothing for a
   subject it does not release;
7. redact (``_redact``) — :func:`gateway.redaction.redact` per subject (a request the
   policy denied releases nothing, whatever its subject entries say); a denied subject
   carries the active policy's uniform denial text (GW-11, :mod:`gateway.pdp.texts`);
8. log and store, one transaction (``_log_and_store``) — the decision leaf, the answer
   stored for ``GET /v1/address-lookups/{decision_id}`` (it holds the leaf's index) and a
   review row for every subject the policy sent to human review (``gateway.reviews``
   settles them later) commit together, as one companion of the leaf
   (:meth:`gateway.audit.log.DecisionLog.append`), and so does the spend of the agency's
   token (:mod:`gateway.auth.tokens`): one group commit, one fsync, for all of it. Only a
   durable index lets the answer leave; if the answer cannot be stored, the leaf is not
   written either, the agency gets a 503 and a ``decision_failure`` leaf records the
   refusal.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from gateway import metrics
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
    Subject,
    SubjectResult,
    normalize_tin,
)
from gateway.errors import (
    ConflictError,
    DatastoreUnavailableError,
    DependencyUnavailableError,
    InvalidRequestError,
    PolicyEngineUnavailableError,
)
from gateway.outcomes import request_outcome
from gateway.pdp.active import ActivePolicy, PolicyInUse
from gateway.pdp.decision import Decision, Effect, Finding, SubjectDecision
from gateway.pdp.input import CourtOrderFacts, ReplayFacts, build_policy_input
from gateway.pdp.texts import GatewayTexts
from gateway.redaction import final_outcome, redact
from gateway.store.lookups import (
    LookupStore,
    StoredLookup,
    answer_to_request_id,
    recent_duplicate,
    store_answer,
)
from gateway.store.reviews import ReviewRow
from gateway.store.taxpayers import (
    MailingAddress,
    SubjectQuery,
    SubjectResolution,
    released_address,
    resolve_subjects,
)
from gateway.store.token_uses import record_spend

log = structlog.get_logger(__name__)


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
    ask: _Ask, legal_basis: str, decided: _Decided, results: list[SubjectResult]
) -> list[ReviewRow]:
    """Queue rows for the subjects a disclosure officer must settle (``gateway.reviews``)."""
    decision = decided.decision
    return [
        ReviewRow(
            decision_id=ask.decision_id,
            position=i,
            ref=res.ref,
            agency_id=ask.agency_id,
            legal_basis=legal_basis,
            status="pending",
            taxpayer_id=r.taxpayer_id,
            release_tax_year=d.release_tax_year,
            findings=[f.model_dump() for f in (*decision.reasons, *d.findings)],
            obligations=list(decision.obligations),
            created_at=ask.decided_at,
            decided_at=None,
            officer=None,
            log_index=None,
        )
        for i, (r, d, res) in enumerate(
            zip(decided.resolutions, decision.subjects, results, strict=True)
        )
        if res.outcome == "pending_review"
    ]


AfterDecision = Callable[[str, str, dict[str, Any], Decision], None]
"""(decision id, revision, policy input, decision) of a logged lookup; must not raise or block."""


@dataclass(frozen=True)
class _Ask:
    """One lookup as received: who asks what, and the identifiers fixed before any read."""

    principal: AgencyPrincipal
    request: LookupRequest
    received_at: datetime
    decision_id: str
    decided_at: datetime
    payload_sha256: str
    subjects_digest: str

    @property
    def agency_id(self) -> str:
        return self.principal.agency.id


@dataclass(frozen=True)
class _Decided:
    """What the policy decided, and the facts and input it decided on."""

    resolutions: list[SubjectResolution]
    policy_input: dict[str, Any]
    decision: Decision


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
        self.after_decision: AfterDecision | None = None
        """Shadow mode's hand-over (``gateway.pdp.shadow``): told only once the answer is final."""

    def run(self, principal: AgencyPrincipal, request: LookupRequest) -> LookupResponse:
        """The plan of the module docstring, step by step (1. happened before the call)."""
        received_at = self._clock.now()
        policy = self._active.current()  # one engine, revision and texts for the whole lookup
        self._validate(request)
        ask = _Ask(
            principal=principal,
            request=request,
            received_at=received_at,
            decision_id=str(uuid.uuid4()),
            decided_at=self._clock.now(),
            payload_sha256=payload_digest(request),
            subjects_digest=subjects_digest(request),
        )
        structlog.contextvars.bind_contextvars(decision_id=ask.decision_id, agency_id=ask.agency_id)
        for attempt in range(1, _REPLAY_ATTEMPTS + 1):
            replay = self._replay_memory(ask, policy)
            with self._datastore() as session:
                resolutions, court_order = self._resolve(session, ask)
                decided = self._decide(ask, policy, replay, resolutions, court_order)
                addresses = self._releasable(session, decided)
            results = self._redact(ask, decided, addresses, policy.texts)
            try:
                response = self._log_and_store(ask, policy, replay, decided, results)
                break
            except ReplayFactsChangedError:
                # An identical request committed first (another thread or process):
                # decide again on the facts as they are now.
                metrics.DECISION_RETRIES.inc()
                if attempt == _REPLAY_ATTEMPTS:
                    raise
        if self.after_decision is not None:
            self.after_decision(
                ask.decision_id, policy.revision, decided.policy_input, decided.decision
            )
        return response

    # -- 2. validate -----------------------------------------------------------------------

    def _validate(self, request: LookupRequest) -> None:
        """What the schema cannot know: the configured subject limit."""
        if len(request.subjects) > self._limits.max_subjects:
            raise InvalidRequestError(
                f"at most {self._limits.max_subjects} subjects per request",
                extra={"errors": [{"loc": ["subjects"], "msg": "too many subjects"}]},
            )

    # -- 3. replay memory ------------------------------------------------------------------

    def _replay_memory(self, ask: _Ask, policy: PolicyInUse) -> ReplayFacts:
        """Read before deciding, and read again in the leaf's transaction (step 8)."""
        try:
            with self._engine.connect() as conn:
                return _replay_facts(conn, ask, policy)
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError("the datastore cannot be read") from exc

    # -- 4. resolve subjects ---------------------------------------------------------------

    @contextmanager
    def _datastore(self) -> Iterator[Session]:
        """One datastore session for steps 4 to 6; a database error there is a 503."""
        try:
            with Session(self._engine) as session:
                yield session
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError("the taxpayer datastore cannot be read") from exc

    @staticmethod
    def _resolve(
        session: Session, ask: _Ask
    ) -> tuple[list[SubjectResolution], CourtOrderFacts | None]:
        resolutions = resolve_subjects(session, [_query(s) for s in ask.request.subjects])
        # the order the request cites, as the court-order registry knew it then
        court_order = resolve_court_order(
            session.connection(), ask.request.court_order, ask.decided_at
        )
        return resolutions, court_order

    # -- 5. decide -------------------------------------------------------------------------

    def _decide(
        self,
        ask: _Ask,
        policy: PolicyInUse,
        replay: ReplayFacts,
        resolutions: list[SubjectResolution],
        court_order: CourtOrderFacts | None,
    ) -> _Decided:
        policy_input = build_policy_input(
            principal=ask.principal,
            request=ask.request,
            resolutions=resolutions,
            payload_sha256=ask.payload_sha256,
            received_at=ask.received_at,
            decision_time=ask.decided_at,
            replay=replay,
            court_order=court_order,
            facts=policy.facts,
        )
        try:
            decision = policy.engine.decide(policy_input)
        except PolicyEngineUnavailableError as exc:
            # Fail closed, and leave a trace of the refusal in the log itself.
            log.warning("policy.unavailable", decision_id=ask.decision_id, error=exc.detail)
            self._log_failure(ask, stage="decide", error=exc.detail)
            raise
        return _Decided(resolutions=resolutions, policy_input=policy_input, decision=decision)

    # -- 6. take what may be released ------------------------------------------------------

    @staticmethod
    def _releasable(session: Session, decided: _Decided) -> list[MailingAddress | None]:
        del session  # nothing more is read: step 4 read the addresses with their tax years
        effect = decided.decision.request_effect
        return [
            _address(r, d, effect)
            for r, d in zip(decided.resolutions, decided.decision.subjects, strict=True)
        ]

    # -- 7. redact -------------------------------------------------------------------------

    @staticmethod
    def _redact(
        ask: _Ask,
        decided: _Decided,
        addresses: list[MailingAddress | None],
        texts: GatewayTexts,
    ) -> list[SubjectResult]:
        decision = decided.decision
        requested: list[str] = list(ask.request.fields)
        return [
            _result(s, d, a, requested, decision.request_effect, texts)
            for s, d, a in zip(ask.request.subjects, decision.subjects, addresses, strict=True)
        ]

    # -- 8. log and store, one transaction -------------------------------------------------

    def _log_and_store(
        self,
        ask: _Ask,
        policy: PolicyInUse,
        replay: ReplayFacts,
        decided: _Decided,
        results: list[SubjectResult],
    ) -> LookupResponse:
        revision = policy.revision
        decision, policy_input = decided.decision, decided.policy_input
        outcome = request_outcome(r.outcome for r in results)
        record = decision_record(
            keys=self._keys,
            decision_id=ask.decision_id,
            decided_at=ask.decided_at,
            policy_revision=revision,
            agency_id=ask.agency_id,
            official_id=ask.principal.official.id,
            request_id=ask.request.request_id,
            legal_basis=policy_input["legal_basis"],
            purpose_category=policy_input["purpose"]["category"],
            outcome=outcome,
            request_rules=[f.rule for f in decision.reasons],
            subjects=_subject_entries(ask.request, decided.resolutions, decision, results),
            obligations=decision.obligations,
            policy_input=policy_input,
            penalties=[p.rule for p in decision.penalties],
        )
        pending = _pending_reviews(ask, policy_input["legal_basis"], decided, results)

        def answer(log_index: int) -> LookupResponse:
            return LookupResponse(
                decision_id=ask.decision_id,
                log_index=log_index,
                policy_revision=revision,
                decided_at=ask.decided_at,
                outcome=outcome,
                reasons=[_reason(f) for f in decision.reasons],
                results=results,
            )

        def store(conn: Connection, log_index: int) -> None:
            # Under the log's write lock, which every process takes: what step 3 read
            # can no longer change before this commits.
            if ask.principal.spend is not None:
                record_spend(conn, ask.principal.spend)
            if not _same_facts_for_the_policy(_replay_facts(conn, ask, policy), replay):
                raise ReplayFactsChangedError("an identical request was decided meanwhile")
            stored = StoredLookup(
                decision_id=ask.decision_id,
                request_id=ask.request.request_id,
                agency_id=ask.agency_id,
                payload_sha256=ask.payload_sha256,
                status=outcome,
                response_json=answer(log_index).model_dump_json(),
                created_at=ask.decided_at,
                subjects_digest=ask.subjects_digest,
            )
            store_answer(conn, stored, pending)

        try:
            log_index = self._log.append("decision", record, at=ask.decided_at, companion=store)
        except DependencyUnavailableError as exc:
            # Nothing of the decision is durable; the refusal itself goes to the log.
            log.warning("lookup.not_recorded", decision_id=ask.decision_id, error=exc.detail)
            self._log_failure(ask, stage="record", error=exc.detail)
            raise
        metrics.record_decision(ask.agency_id, outcome, _fired_rules(decision))
        return answer(log_index)

    def _log_failure(self, ask: _Ask, *, stage: str, error: str) -> None:
        """Append a ``decision_failure`` leaf; the caller raises its own error regardless."""
        metrics.DECISION_FAILURES.labels(stage=stage).inc()
        at = ask.decided_at
        record = failure_record(
            decision_id=ask.decision_id, at=at, agency_id=ask.agency_id, stage=stage, error=error
        )
        try:
            self._log.append("decision_failure", record, at=at)
        except DependencyUnavailableError as exc:
            log.error("decision_failure.not_logged", decision_id=ask.decision_id, error=exc.detail)


_REPLAY_ATTEMPTS = 3
"""Decisions one lookup may take when identical requests keep committing first."""


class ReplayFactsChangedError(ConflictError):
    """Step 3's facts changed before the leaf committed: decide again (or, at last, 409)."""


def _replay_facts(conn: Connection, ask: _Ask, policy: PolicyInUse) -> ReplayFacts:
    """GW-3 and GW-3b's facts: this request id's earlier answer, and a recent same ask.

    A reused ``request_id`` with another body is a conflict (409), whenever it is seen.
    """
    request = ask.request
    prior = answer_to_request_id(conn, ask.agency_id, request.request_id)
    if prior is not None and prior.payload_sha256 != ask.payload_sha256:
        raise ConflictError("request_id was already used with a different body")
    duplicate = recent_duplicate(
        conn,
        ask.agency_id,
        ask.payload_sha256,
        ask.subjects_digest,
        request.request_id,
        ask.received_at - policy.duplicate_window,
    )
    return ReplayFacts(
        request_id_seen=prior is not None,
        nonce_seen=False,  # a replayed jti never gets past authentication
        duplicate_of=(duplicate.request_id, duplicate.created_at) if duplicate else None,
        duplicate_status=duplicate.status if duplicate else None,
    )


def _same_facts_for_the_policy(now: ReplayFacts, then: ReplayFacts) -> bool:
    """Whether the decision taken on ``then`` still holds for the facts as they are ``now``.

    Which earlier request a duplicate repeats may change (each racer that commits is a
    newer one) without changing the decision: a duplicate then is a duplicate now. Only
    a fact appearing, or an earlier answer's status changing (a review settled it), does.
    Comparing the whole facts made racers lose to each other again and again (16
    identical asks on four workers: some ran out of attempts and got a 409).
    """
    return (
        now.request_id_seen == then.request_id_seen
        and (now.duplicate_of is None) == (then.duplicate_of is None)
        and now.duplicate_status == then.duplicate_status
    )


def _fired_rules(decision: Decision) -> list[str]:
    """Every finding's rule id, request level and each subject's: what the metrics count."""
    return [f.rule for f in decision.reasons] + [
        f.rule for s in decision.subjects for f in s.findings
    ]


def _address(
    resolution: SubjectResolution,
    decision: SubjectDecision,
    request_effect: Effect,
) -> MailingAddress | None:
    """The address the decision releases, and no other, for the answer.

    Resolution read the identified record's address rows, because the tax years
    they carry and the household at the last one are facts the policy needs; the
    same read brought their lines, so none is read again here. Only the one the
    decision releases leaves the resolution: putting into the answer an address it
    may not carry would be a disclosure with no purpose.
    """
    year = decision.release_tax_year
    if (
        final_outcome(request_effect, decision) != "disclosed"
        or not decision.releases_address
        or resolution.taxpayer_id is None
        or year is None
    ):
        return None
    return released_address(resolution, year)


def _result(
    subject: Subject,
    decision: SubjectDecision,
    address: MailingAddress | None,
    requested: list[str],
    request_effect: Effect,
    texts: GatewayTexts,
) -> SubjectResult:
    released = redact(decision, address, requested, request_outcome=request_effect)
    if released.outcome == "denied":
        # GW-11: a denied entry never shows whether a record exists. A subject entry
        # overruled by its request's denial keeps none of the findings that allowed it.
        uniform = texts.uniform_denial
        overruled = decision.outcome != "DENY" and request_effect == "DENY"
        reasons = [
            _reason(f)
            for f in decision.reasons
            if f.rule != uniform.rule and not (overruled and f.outcome != "DENY")
        ]
        reasons.append(_reason(uniform))
    else:
        reasons = [_reason(f) for f in decision.reasons]
    return SubjectResult(
        ref=subject.ref,
        outcome=released.outcome,
        address=released.address,
        redacted=released.redacted,
        reasons=reasons,
    )
