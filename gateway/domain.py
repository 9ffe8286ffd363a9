"""The gateway's domain vocabulary: what an agency asks, and what it is answered.

The lookup request and its parts, the court order an agency cites or staff record,
and the per-subject results are shared by every layer: the API validates them off
the wire, the policy input is built from them (``gateway.pdp``), the pipeline and
the review service answer with them (``gateway.pep``, ``gateway.reviews``). They live
here, below all of those, so that nothing under the API has to import the API.

They are strict pydantic models: unknown fields are refused, strings and lists are
bounded, and nothing here is a table model.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Short = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
MaybeShort = Annotated[str, StringConstraints(max_length=200)]
Text = Annotated[str, StringConstraints(max_length=4000)]
# ASCII digits only: ``\d`` also matches Arabic-Indic, fullwidth and other Unicode digits.
Tin = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}-?[0-9]{2}-?[0-9]{4}$")]
Year = Annotated[int, Field(ge=1900, le=2100)]

FieldName = Literal[
    "last_known_address",
    "tin",
    "date_of_birth",
    "filing_status",
    "income",
    "employer",
    "bank_account",
    "dependents",
]


PurposeCategory = Literal[
    "nontax_criminal",
    "immigration_criminal",
    "civil_immigration_enforcement",
    "fugitive_location",
    "terrorism",
    "emergency_life_safety",
    "state_tax_admin",
    "federal_claim_collection",
    "student_loan_collection",
    "ss_statement_mailing",
    "child_support",
    "data_remediation",
    "other",
]
AuthorizerRole = Literal[
    "ag",
    "dag",
    "assoc_ag",
    "aag",
    "us_attorney",
    "ausa",
    "special_prosecutor_593",
    "strike_force_atty",
    "other",
]


class Strict(BaseModel):
    """Base for wire models: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PersonName(Strict):
    first: MaybeShort
    middle: MaybeShort | None = None
    last: MaybeShort


class PostalAddress(Strict):
    line1: MaybeShort
    line2: MaybeShort | None = None
    city: MaybeShort
    state: MaybeShort
    zip: MaybeShort


class Purpose(Strict):
    category: PurposeCategory
    enforcement_nature: Literal["criminal", "civil", "mixed", "unknown"] = "unknown"
    statutes: Annotated[list[Short], Field(max_length=20)] = []
    case_number: MaybeShort | None = None
    description: Text | None = None
    downstream_civil_use: bool = False
    onward_sharing_to: Annotated[list[Short], Field(max_length=20)] = []
    relates_to_prior_disclosure: MaybeShort | None = None
    claim_reference: MaybeShort | None = None


class Recipient(Strict):
    name: Short
    title: MaybeShort = ""
    employer_agency: Short
    personally_and_directly_engaged: bool
    open_caseload: Annotated[int, Field(ge=0, le=100_000_000)]
    is_employee: bool = True


class ArrestWarrant(Strict):
    type: Literal["judicial", "administrative_immigration"]
    offense_class: Literal["felony", "misdemeanor", "civil"]


class CourtOrder(Strict):
    order_type: Literal["ex_parte_6103_i_1", "ex_parte_6103_i_5", "ex_parte_6103_i_7_c", "other"]
    court: Short
    court_type: Literal[
        "us_district_court", "state_court", "immigration_court", "administrative", "other"
    ]
    judge: Short
    judge_type: Literal[
        "district_judge", "magistrate_judge", "immigration_judge", "state_judge", "other"
    ]
    docket_number: Short
    issued_at: datetime
    expires_at: datetime | None = None
    applicant_authorizer_role: AuthorizerRole
    covered_tins: Annotated[list[Tin], Field(max_length=1000)] = []
    covered_taxable_periods: Annotated[list[Year], Field(max_length=50)] = []
    covered_data: Annotated[
        list[Literal["last_known_address", "identity", "returns", "all_return_info"]],
        Field(max_length=4),
    ] = []
    named_recipients: Annotated[list[Short], Field(max_length=100)] = []
    arrest_warrant: ArrestWarrant | None = None
    # No ``verified_with_court``: whether an order was verified against the docket is a
    # fact of the gateway's court-order registry (``gateway.court_orders``), never a claim.


class CourtOrderRecording(CourtOrder):
    """POST /v1/court-orders: an order that staff verified against the court's docket.

    The order's own fields are those an agency cites (:class:`CourtOrder`), with
    timezone-aware instants (a record is a fact about a moment, not a guess about
    its zone). ``verification_source`` says where it was verified (e.g. a PACER
    docket entry); ``supersedes`` names the version this one corrects.
    """

    issued_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    verification_source: Short
    verification_note: Text | None = None
    supersedes: Short | None = None


class FinalRemovalOrder(Strict):
    date: date
    case_number: MaybeShort | None = None


class Subject(Strict):
    ref: Short
    tin: Tin | None = None
    name: PersonName | None = None
    date_of_birth: date | None = None
    address: PostalAddress | None = None
    taxable_periods: Annotated[list[Year], Field(max_length=50)] | Literal["ALL"] = []
    specific_reason: Text = ""
    final_removal_order: FinalRemovalOrder | None = None


class LookupRequest(Strict):
    """POST /v1/address-lookups. The subject limit is also checked against settings."""

    request_id: Short
    legal_basis: Annotated[str, StringConstraints(max_length=64)]
    purpose: Purpose
    recipients: Annotated[list[Recipient], Field(max_length=100)] = []
    court_order: CourtOrder | None = None
    subjects: Annotated[list[Subject], Field(min_length=1, max_length=10_000)]
    fields: Annotated[list[FieldName], Field(min_length=1, max_length=8)] = ["last_known_address"]
    invokes_irs_dhs_mou: bool = False


class Reason(BaseModel):
    rule: str
    citation: str
    message: str


class ReleasedAddress(BaseModel):
    line1: str
    line2: str | None
    city: str
    state: str
    zip: str
    tax_year: int


class SubjectResult(BaseModel):
    ref: str
    outcome: Literal["disclosed", "pending_review", "denied"]
    address: ReleasedAddress | None
    redacted: list[str]
    reasons: list[Reason]


class LookupResponse(BaseModel):
    decision_id: str
    log_index: int
    policy_revision: str
    decided_at: datetime
    outcome: Literal["allowed", "partially_allowed", "pending_review", "denied"]
    reasons: list[Reason]
    results: list[SubjectResult]


def normalize_tin(value: str | None) -> str | None:
    """``"123456789"``, ``" 123-45-6789 "`` → ``"123-45-6789"``; ``None`` for no TIN supplied.

    One spelling for every comparison: the datastore's match, the policy input and
    the court-order registry all compare the dashed form. A supplied value that is
    not nine ASCII digits is returned unchanged, so that it matches nothing (and
    counts as a TIN that did not match).
    """
    if value is None or not value.strip():
        return None
    digits = "".join(ch for ch in value if ch not in "- ")
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return value
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
