"""Builds the policy input document (POLICY_MODEL.md §3.2, policies/README.md).

The input joins three sources that must not be confused: the authenticated
official from the registry, what the agency wrote in its request, and the
facts the gateway computed itself (match quality, record flags, the tax years
of the addresses on file, replay memory, its own clock). Facts the datastore
computes are never taken from the requester.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.auth.tokens import AgencyPrincipal
from gateway.domain import CourtOrder, LookupRequest, Subject, normalize_tin
from gateway.facts.finder import FactFinder
from gateway.store.taxpayers import SubjectResolution

KNOWN_BASES = frozenset(
    {
        "6103_i_1",
        "6103_i_2",
        "6103_i_3_A",
        "6103_i_3_B",
        "6103_i_5",
        "6103_i_7_A",
        "6103_i_7_C",
        "6103_d",
        "6103_l_6",
        "6103_m_2",
        "6103_m_4",
        "6103_m_7",
    }
)
MOU_BASIS = "MOU_IRS_DHS_2025"
_BASIS = re.compile(r"^6103((?:\([a-zA-Z0-9]+\))+)$")

FIELD_NAMES = {
    "last_known_address": "LAST_KNOWN_ADDRESS",
    "tin": "TIN",
    "date_of_birth": "DOB",
    "filing_status": "FILING_STATUS",
    "income": "INCOME",
    "employer": "EMPLOYER_PAYOR",
    "bank_account": "BANK_ACCOUNT",
    "dependents": "DEPENDENTS",
}
WIRE_FIELD_NAMES = {v: k for k, v in FIELD_NAMES.items()}


def policy_basis(legal_basis: str) -> str:
    """``6103(i)(2)`` → ``6103_i_2``; the MOU keeps its name; anything else is ``NONE``.

    Matching is exact: a basis written in another case is no basis at all.
    """
    if legal_basis == MOU_BASIS:
        return MOU_BASIS
    m = _BASIS.match(legal_basis)
    if not m:
        return "NONE"
    candidate = "6103_" + "_".join(re.findall(r"\(([a-zA-Z0-9]+)\)", m.group(1)))
    return candidate if candidate in KNOWN_BASES else "NONE"


@dataclass(frozen=True)
class ReplayFacts:
    request_id_seen: bool
    nonce_seen: bool
    duplicate_of: tuple[str, datetime] | None
    duplicate_status: str | None = None
    """The earlier request's answer now (GW-3b tells "already disclosed" from "already pending")."""


def _rfc3339(t: datetime) -> str:
    return t.isoformat()


@dataclass(frozen=True)
class CourtOrderFacts:
    """The order the policy judges, as the court-order registry resolved it at decision time.

    ``verified_with_court``: ``order`` is the verified record (found by court and
    docket number), and ``discrepancies`` names the fields where the request
    said otherwise; else ``order`` is the request's unverified claim
    (6103-I1-1b) and ``discrepancies`` is empty. Never built from the request's
    word alone as verified: see ``gateway.court_orders.resolve``.
    """

    order: CourtOrder
    verified_with_court: bool
    discrepancies: tuple[str, ...] = ()


def _court_order(facts: CourtOrderFacts) -> dict[str, Any]:
    order = facts.order
    warrant = order.arrest_warrant
    return {
        "order_type": order.order_type.upper(),
        "issuing_court": order.court,
        "court_type": "ADMIN" if order.court_type == "administrative" else order.court_type.upper(),
        "judge_name": order.judge,
        "judge_type": order.judge_type.upper(),
        "docket_number": order.docket_number,
        "issued_at": _rfc3339(order.issued_at),
        "expires_at": _rfc3339(order.expires_at) if order.expires_at else None,
        "applicant_authorizer_role": order.applicant_authorizer_role.upper(),
        "covered_tins": [normalize_tin(t) for t in order.covered_tins],
        "covered_taxable_periods": list(order.covered_taxable_periods),
        "covered_data": [d.upper() for d in order.covered_data],
        "named_recipients": list(order.named_recipients),
        "felony_arrest_warrant": (
            {"type": warrant.type.upper(), "offense_class": warrant.offense_class.upper()}
            if warrant
            else None
        ),
        "verified_with_court": facts.verified_with_court,
        "discrepancies": sorted(facts.discrepancies),
    }


def _taxpayer(subject: Subject, resolution: SubjectResolution) -> dict[str, Any]:
    name = subject.name
    addr = subject.address
    removal = subject.final_removal_order
    m = resolution.match
    return {
        "ref": subject.ref,
        "supplied": {
            "name": (
                {"first": name.first, "middle": name.middle, "last": name.last} if name else None
            ),
            "address": (
                {
                    "line1": addr.line1,
                    "line2": addr.line2,
                    "city": addr.city,
                    "state": addr.state,
                    "zip": addr.zip,
                }
                if addr
                else None
            ),
            "tin": normalize_tin(subject.tin),
            "dob": subject.date_of_birth.isoformat() if subject.date_of_birth else None,
            "final_removal_order_date": removal.date.isoformat() if removal else None,
            "final_removal_order_case_no": removal.case_number if removal else None,
        },
        "taxable_periods": (
            "ALL" if subject.taxable_periods == "ALL" else list(subject.taxable_periods)
        ),
        "specific_reason": subject.specific_reason,
        "match": {
            "candidates": m.candidates,
            "name_score": m.name_score,
            "tin_match": m.tin_match,
            "dob_match": m.dob_match,
            "method": m.method,
        },
        "record_flags": {
            "confidential_informant": resolution.confidential_informant,
            "tax_investigation_impairment": resolution.tax_investigation_impairment,
        },
        "record": {
            "tin": resolution.record_tin,
            "address_tax_years": list(resolution.address_tax_years),
            "last_known_tax_year": resolution.last_known_tax_year,
            "shared_household": resolution.household_members > 0,
            "household_members": resolution.household_members,
        },
    }


def build_policy_input(
    *,
    principal: AgencyPrincipal,
    request: LookupRequest,
    resolutions: list[SubjectResolution],
    payload_sha256: str,
    received_at: datetime,
    decision_time: datetime,
    replay: ReplayFacts,
    facts: FactFinder,
    court_order: CourtOrderFacts | None,
) -> dict[str, Any]:
    """The whole policy input for one lookup; ``resolutions`` is parallel to the subjects.

    ``court_order`` is the registry's answer for ``request.court_order`` (None when
    the request cites no order); the request's own order is never read here.
    """
    agency = principal.agency
    official = principal.official
    purpose = request.purpose
    basis = policy_basis(request.legal_basis)
    return {
        "request_id": request.request_id,
        "nonce": principal.jti,
        "payload_sha256": payload_sha256,
        "received_at": _rfc3339(received_at),
        "decision_time": _rfc3339(decision_time),
        "signature_valid": True,
        "written_request": True,
        "replay": {"request_id_seen": replay.request_id_seen, "nonce_seen": replay.nonce_seen},
        "duplicate_of": (
            {
                "request_id": replay.duplicate_of[0],
                "decided_at": _rfc3339(replay.duplicate_of[1]),
                **({"status": replay.duplicate_status} if replay.duplicate_status else {}),
            }
            if replay.duplicate_of
            else None
        ),
        "requester": {
            "agency_id": agency.id,
            "agency": agency.department,
            "agency_name": agency.name,
            "component": agency.component,
            "state": agency.state,
            "signer": {
                "official_id": official.id,
                "name": official.name,
                "title": official.title,
                "role": official.role,
                "acting": official.acting,
                "delegation_ref": None,
            },
            "safeguards_status": agency.safeguards_status,
            "recipients": [
                {
                    "name": r.name,
                    "title": r.title,
                    "employer_agency": r.employer_agency,
                    "employer": facts.agency(r.employer_agency).as_input(),
                    "is_employee": r.is_employee,
                    "personally_directly_engaged": r.personally_and_directly_engaged,
                    "attested_open_caseload": r.open_caseload,
                }
                for r in request.recipients
            ],
        },
        "legal_basis": basis,
        "invokes_irs_dhs_mou": request.invokes_irs_dhs_mou or basis == MOU_BASIS,
        "purpose": {
            "category": purpose.category.upper(),
            "enforcement_nature": purpose.enforcement_nature.upper(),
            "statutes_cited": list(purpose.statutes),
            "statutes": [facts.statute(s).as_input() for s in purpose.statutes],
            "case_or_proceeding_no": purpose.case_number,
            "description": purpose.description,
            "downstream_civil_use": purpose.downstream_civil_use,
            "onward_sharing_to": list(purpose.onward_sharing_to),
            "onward_sharing": [facts.agency(s).as_input() for s in purpose.onward_sharing_to],
            "relates_to_prior_disclosure_id": purpose.relates_to_prior_disclosure,
            "claim_reference": purpose.claim_reference,
        },
        "court_order": _court_order(court_order) if court_order else None,
        "taxpayers": [_taxpayer(s, r) for s, r in zip(request.subjects, resolutions, strict=True)],
        "bulk_count": len(request.subjects),
        "requested_fields": [FIELD_NAMES[f] for f in request.fields],
    }
