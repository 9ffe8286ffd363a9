"""What the policy is told about a cited order: the registry's record, or nothing verified.

The request's ``court_order`` only *names* an order (court and docket number,
:func:`~gateway.court_orders.key.docket_key`). The registry's version in force
at decision time is what the policy judges, field by field; the fields where
the request said something else are listed for 6103-I1-1c. Without a record
the request's claim is passed on as unverified, which 6103-I1-1b sends to a
human: an agency can never make its own order count as verified.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from gateway.court_orders.compare import discrepancies
from gateway.court_orders.key import docket_key
from gateway.domain import ArrestWarrant, CourtOrder
from gateway.pdp.input import CourtOrderFacts
from gateway.store.court_orders import StoredCourtOrder, version_at


def recorded_order(stored: StoredCourtOrder) -> CourtOrder:
    """The stored version as the order it verifies, in the wire vocabulary the policy input maps."""
    warrant = (
        ArrestWarrant.model_validate(
            {"type": stored.warrant_type, "offense_class": stored.warrant_offense_class}
        )
        if stored.warrant_type is not None
        else None
    )
    return CourtOrder.model_validate(
        {
            "order_type": stored.order_type,
            "court": stored.court,
            "court_type": stored.court_type,
            "judge": stored.judge,
            "judge_type": stored.judge_type,
            "docket_number": stored.docket_number,
            "issued_at": stored.issued_at,
            "expires_at": stored.expires_at,
            "applicant_authorizer_role": stored.applicant_authorizer_role,
            "covered_tins": list(stored.covered_tins),
            "covered_taxable_periods": list(stored.covered_taxable_periods),
            "covered_data": list(stored.covered_data),
            "named_recipients": list(stored.named_recipients),
            "arrest_warrant": warrant,
        }
    )


def resolve_court_order(
    conn: Connection, claimed: CourtOrder | None, at: datetime
) -> CourtOrderFacts | None:
    """The facts for the policy about ``claimed``, from the registry as it stood at ``at``."""
    if claimed is None:
        return None
    stored = version_at(conn, docket_key(claimed.court, claimed.docket_number), at)
    if stored is None:
        return CourtOrderFacts(order=claimed, verified_with_court=False)
    recorded = recorded_order(stored)
    return CourtOrderFacts(
        order=recorded,
        verified_with_court=True,
        discrepancies=tuple(discrepancies(claimed, recorded)),
    )
