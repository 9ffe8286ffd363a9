"""What the audit service answers: plain frozen values, shared by the API, the CLI and the pages.

Nothing here holds a TIN, name or address. A subject is its keyed pseudonym
(``taxpayer``); what only the sealed policy input knows (recipients, requested
fields, the official's name) appears only in an :class:`AccountingEntry`, which
the server builds by unsealing with the audit key for one taxpayer at a time.

Outcomes are the log's words: a subject is ``disclosed``, ``pending_review`` or
``denied``; a decision ``allowed``, ``partially_allowed``, ``pending_review`` or
``denied``. "Final" means after every review leaf appended so far. Legal bases
and purposes are the policy's spelling (``6103_i_2``, ``NONTAX_CRIMINAL``), as
logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

SubjectOutcome = Literal["disclosed", "pending_review", "denied"]
DecisionOutcome = Literal["allowed", "partially_allowed", "pending_review", "denied"]
SUBJECT_OUTCOMES: tuple[SubjectOutcome, ...] = ("disclosed", "pending_review", "denied")
DECISION_OUTCOMES: tuple[DecisionOutcome, ...] = (
    "allowed",
    "partially_allowed",
    "pending_review",
    "denied",
)
Channel = Literal["api", "pages", "cli"]


@dataclass(frozen=True)
class Viewer:
    """Who is looking, recorded in the ``audit_access`` leaf of every call."""

    subject: str
    role: str
    channel: Channel


@dataclass(frozen=True)
class SearchFilters:
    """Every filter is optional; all given ones must hold. ``until`` is exclusive.

    ``outcome`` is a subject's *final* outcome; ``rule`` matches a rule that fired
    for the request or for that subject.
    """

    agency: str | None = None
    official: str | None = None
    outcome: SubjectOutcome | None = None
    rule: str | None = None
    legal_basis: str | None = None
    purpose: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class ProjectionRow:
    """One (decision, subject) of the projection."""

    decision_id: str
    position: int
    log_index: int
    kind: Literal["decision", "decision_failure"]
    decided_at: datetime
    agency: str
    official: str | None
    legal_basis: str | None
    purpose: str | None
    policy_revision: str | None
    request_rules: tuple[str, ...]
    decision_outcome: str
    decision_final_outcome: str
    taxpayer: str | None
    """The subject's keyed pseudonym (HMAC of ``tin:<TIN>``), None for a failure."""
    subject_outcome: str
    final_outcome: str
    subject_rules: tuple[str, ...]
    released: tuple[str, ...]
    tax_year: int | None
    review_action: str | None
    reviewed_at: datetime | None
    review_officer: str | None
    review_log_index: int | None

    @property
    def rules(self) -> tuple[str, ...]:
        """Request-level and subject rules, request-level first, without repeats."""
        return tuple(dict.fromkeys((*self.request_rules, *self.subject_rules)))


@dataclass(frozen=True)
class SearchPage:
    rows: list[ProjectionRow]
    next_cursor: str | None
    """Opaque; pass it back with the same filters for the next page. None on the last page."""


@dataclass(frozen=True)
class RuleCitation:
    """A rule as its Rego METADATA describes it (``custom.citation`` and friends)."""

    rule: str
    title: str | None
    citation: str | None
    message: str | None
    outcome: str | None


@dataclass(frozen=True)
class ReviewView:
    position: int
    action: str
    officer: str | None
    at: datetime | None
    log_index: int | None
    final_outcome: str
    tax_year: int | None


@dataclass(frozen=True)
class InclusionEvidence:
    """Everything needed to check, without the gateway, that the decision's leaf is in the log.

    Verify: ``leaf_hash == SHA-256(0x00 || leaf)``; the checkpoint note's
    signature with the pinned ``verifier_key``; then the RFC 9162 §2.1.3.2
    inclusion proof of ``leaf_hash`` at ``leaf_index`` in ``tree_size`` against
    the note's root.
    """

    leaf_index: int
    leaf: bytes
    leaf_hash: bytes
    tree_size: int
    root: bytes
    proof: list[bytes]
    checkpoint_note: str
    verifier_key: str
    verified: bool
    problem: str | None = None
    """Why verification failed, when it did."""


@dataclass(frozen=True)
class DecisionDetail:
    decision_id: str
    rows: list[ProjectionRow]
    """One per subject, in position order; their decision fields are equal."""
    reviews: list[ReviewView]
    rules: list[RuleCitation]
    """Every rule that fired (request and subjects), with the METADATA of the policy
    revision that decided when its snapshot is still at hand, else of the active one."""
    citations_revision: str | None
    """The policy revision whose METADATA gave the citations."""
    obligations: tuple[str, ...]
    penalties: tuple[str, ...]
    proof: InclusionEvidence

    @property
    def first(self) -> ProjectionRow:
        return self.rows[0]


@dataclass(frozen=True)
class Recipient:
    name: str
    title: str
    employer_agency: str


@dataclass(frozen=True)
class AccountingEntry:
    """One disclosure, or one pending or denied request, about the taxpayer (§6103(p)(3)(A))."""

    decision_id: str
    position: int
    log_index: int
    decided_at: datetime
    agency: str
    official: str | None
    official_name: str | None
    official_title: str | None
    recipients: list[Recipient]
    legal_basis: str | None
    purpose: str | None
    requested_fields: list[str]
    released: tuple[str, ...]
    tax_year: int | None
    outcome: str
    """Final outcome for this taxpayer."""
    outcome_as_decided: str
    reviewed_at: datetime | None
    rules: tuple[str, ...]
    sealed_details: bool
    """True when the sealed input could be opened (recipients, fields, names are known)."""


@dataclass(frozen=True)
class Accounting:
    taxpayer: str
    """The TIN's pseudonym: the only way the taxpayer appears in the log."""
    entries: list[AccountingEntry]

    @property
    def disclosures(self) -> list[AccountingEntry]:
        return [e for e in self.entries if e.outcome == "disclosed"]


@dataclass(frozen=True)
class Count:
    """One group of a report: decisions (distinct requests) and subjects, by final outcome."""

    key: str
    decisions: int
    subjects: int
    disclosed: int
    pending_review: int
    denied: int


@dataclass(frozen=True)
class SummaryReport:
    since: datetime
    until: datetime
    total: Count
    by_agency: list[Count]
    by_legal_basis: list[Count]
    by_purpose: list[Count]
    by_outcome: list[Count]
    """Keyed by the decision's final outcome (allowed, partially_allowed, …)."""
    by_rule: list[Count]


@dataclass(frozen=True)
class DayCount:
    day: date
    outcomes: dict[str, int] = field(default_factory=dict)
    """Decisions that day by final decision outcome (every one of DECISION_OUTCOMES present)."""


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_at: datetime | None
    oldest_age_seconds: float | None
    median_age_seconds: float | None


@dataclass(frozen=True)
class Dashboard:
    since: datetime
    until: datetime
    per_day: list[DayCount]
    top_rules: list[Count]
    denials_by_agency: list[Count]
    backlog: Backlog
