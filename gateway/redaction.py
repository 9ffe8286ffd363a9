"""Applies a subject's decision to its record: the only place fields are released.

``redact`` is pure and total: whatever the decision, the result holds at most
the last known mailing address (POLICY_MODEL.md §3.3), and only when the
decision released it; every other requested field is listed as withheld.
A request denied as a whole (``Decision.request_effect``) releases nothing at
all, whatever its subject entries say (:func:`final_outcome`). Both release paths
go through :func:`redact`: the pipeline's answer (``gateway.pep``) and a disclosure
officer's approval (``gateway.reviews``); and the datastore's address becomes the
wire's :class:`~gateway.domain.ReleasedAddress` here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain import ReleasedAddress
from gateway.outcomes import SUBJECT_OUTCOME, SubjectOutcome
from gateway.pdp.decision import Effect, SubjectDecision
from gateway.pdp.input import WIRE_FIELD_NAMES
from gateway.store.taxpayers import MailingAddress


@dataclass(frozen=True)
class RedactedResult:
    outcome: SubjectOutcome
    address: ReleasedAddress | None
    redacted: list[str]


def final_outcome(request_outcome: Effect, decision: SubjectDecision) -> SubjectOutcome:
    """The wire outcome a subject may have: a request-level DENY is final.

    ``request_outcome`` is the request's effect on every subject
    (:attr:`gateway.pdp.decision.Decision.request_effect`).

    The policy denies every subject of a denied request (POLICY_MODEL.md §3.1), but
    a policy edit that broke that roll-up must not become a release: the request's
    own outcome is the one check no subject entry can talk its way around. Both the
    choice of the address to release (``gateway.pep`` step 6, from the rows resolution
    read) and :func:`redact` go through here, so a denied request neither takes nor
    releases an address.
    """
    if request_outcome == "DENY":
        return "denied"
    return SUBJECT_OUTCOME[decision.outcome]


def redact(
    decision: SubjectDecision,
    address: MailingAddress | None,
    requested: list[str],
    *,
    request_outcome: Effect,
) -> RedactedResult:
    """``requested`` uses the wire names (``last_known_address``, ``income``...).

    ``request_outcome`` has no default: every caller must say how the whole request
    was decided, or it could release a subject of a denied request.
    """
    outcome: SubjectOutcome = final_outcome(request_outcome, decision)
    release = (
        outcome == "disclosed"
        and decision.release_tax_year is not None
        and address is not None
        and address.tax_year == decision.release_tax_year
        and "last_known_address" in requested
    )
    withheld = {WIRE_FIELD_NAMES.get(f, f.lower()) for f in decision.redacted}
    withheld |= {f for f in requested if f != "last_known_address"}
    if not release and "last_known_address" in requested:
        withheld.add("last_known_address")
    if outcome == "disclosed" and not release:
        # The policy allowed the subject but there is no address to release; nothing leaves.
        outcome = "denied"
    return RedactedResult(
        outcome=outcome,
        address=_released(address) if release and address is not None else None,
        redacted=sorted(withheld),
    )


def _released(address: MailingAddress) -> ReleasedAddress:
    return ReleasedAddress(
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        state=address.state,
        zip=address.zip,
        tax_year=address.tax_year,
    )
