"""Wire-format request bodies for the POLICY_MODEL.md §4 fixtures and scenarios.

Dates are relative to "now" (the gateway decides at its own clock): an order
issued 50 days ago that expires in 120 days, a removal order two years old.
Each scenario names the agency that sends it, the official's registry role,
and what the gateway must answer.

An agency cannot vouch for its own court order: the gateway decides on the
order that staff recorded in its court-order registry. A test sends a
scenario with an order only after recording that order (:func:`order_record`,
``POST /v1/court-orders`` or ``gateway court-orders record``). Every body gets
its own docket number, so that the orders of scenarios sharing one gateway
never collide in the registry.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

RIVERA_TIN = "123-45-6789"
RIVERA: dict[str, dict[str, Any]] = {
    "name": {"first": "Jordan", "middle": "A", "last": "Rivera"},
    "address": {
        "line1": "1420 Elm St Apt 3",
        "line2": None,
        "city": "Baltimore",
        "state": "MD",
        "zip": "21201",
    },
}
GONZALEZ_TIN = "900-70-2002"
OKAFOR_TIN = "123-45-3003"


@dataclass(frozen=True)
class Person:
    """A demo taxpayer as an agency would describe them (gateway/store/README.md)."""

    tin: str
    first: str
    middle: str | None
    last: str
    address: dict[str, Any]


def _addr(line1: str, line2: str | None, city: str, zip_code: str) -> dict[str, Any]:
    return {"line1": line1, "line2": line2, "city": city, "state": "MD", "zip": zip_code}


OKAFOR = Person(
    OKAFOR_TIN, "Samuel", "K", "Okafor", _addr("2210 N Charles St", "Fl 2", "Baltimore", "21218")
)
"""TP-3003: last known address 2024."""
WHITFIELD = Person(
    "123-45-8008",
    "Thomas",
    None,
    "Whitfield",
    _addr("19 Mill Race Rd", None, "Ellicott City", "21043"),
)
"""TP-8008: three 2025 addresses; the form 8822 one is the last known."""
OBRIEN = Person(
    "123-45-9001", "Kevin", "P", "O'Brien", _addr("3 Fells Point Sq", None, "Baltimore", "21231")
)
"""Fixture-only taxpayer: last known address 2023."""
CHEN = Person(
    "123-45-9002",
    "Wei",
    None,
    "Chen",
    _addr("1200 Rockville Pike", "Apt 804", "Rockville", "20852"),
)
"""Fixture-only taxpayer: last known address 2025."""
NUNEZ = Person(
    "900-72-0009", "Ana", "Sofía", "Núñez", _addr("61 Weber Ln", None, "Wheaton", "20902")
)
"""Fixture-only ITIN holder without returns: one W-7 address, 2024."""


def about(body: dict[str, Any], person: Person) -> dict[str, Any]:
    """The request asked about another demo taxpayer (and, with an order, the order covers them).

    In one running gateway, a second release of the same taxpayer and periods to the same
    agency within a day is a GW-3b duplicate; scenarios that release or go to review
    therefore each ask about their own taxpayer, so that they can share a gateway.
    """
    out = copy.deepcopy(body)
    out["subjects"][0].update(
        tin=person.tin,
        name={"first": person.first, "middle": person.middle, "last": person.last},
        address=dict(person.address),
    )
    if out.get("court_order"):
        out["court_order"]["covered_tins"] = [person.tin]
    return out


def _now() -> datetime:
    return datetime.now(UTC)


_DOCKET_SEQUENCE = itertools.count(77)


def fresh_docket(docket_number: str) -> str:
    """The same kind of docket ("1:26-mj-…") with a sequence number no other body in this
    process has: two orders with one court and docket number are one order to the registry."""
    prefix = docket_number.rsplit("-", 1)[0]
    return f"{prefix}-{next(_DOCKET_SEQUENCE):05d}"


def order_record(order: dict[str, Any]) -> dict[str, Any]:
    """The body staff send to ``POST /v1/court-orders`` after verifying ``order`` (the
    request's ``court_order``) on the docket: the same facts, and where they were checked."""
    return {
        **copy.deepcopy(order),
        "verification_source": f"PACER docket {order['docket_number']}, ECF No. 4",
        "verification_note": "Sealed order; copy obtained from the clerk.",
    }


def fbi_i2(now: datetime | None = None) -> dict[str, Any]:
    """F-FBI-I2: a valid §6103(i)(2) request from the FBI Director for one taxpayer."""
    del now
    return {
        "request_id": f"FBI-{uuid.uuid4()}",
        "legal_basis": "6103(i)(2)",
        "purpose": {
            "category": "nontax_criminal",
            "enforcement_nature": "criminal",
            "statutes": ["18 U.S.C. 2113(a)"],
            "case_number": "FBI-BA-2026-0142",
            "description": "Armed bank robbery investigation",
            "downstream_civil_use": False,
            "onward_sharing_to": [],
        },
        "recipients": [
            {
                "name": "Special Agent Dana Whitfield",
                "title": "Special Agent",
                "employer_agency": "DOJ",
                "personally_and_directly_engaged": True,
                "open_caseload": 3,
            },
            {
                "name": "Special Agent Luis Ortega",
                "title": "Special Agent",
                "employer_agency": "DOJ",
                "personally_and_directly_engaged": True,
                "open_caseload": 5,
            },
        ],
        "subjects": [
            {
                "ref": "TP-1",
                "tin": RIVERA_TIN,
                "name": dict(RIVERA["name"]),
                "address": dict(RIVERA["address"]),
                "taxable_periods": [2023, 2024],
                "specific_reason": (
                    "Registered owner of the getaway vehicle seen at the 12 Jan 2026 robbery."
                ),
            }
        ],
        "fields": ["last_known_address"],
    }


def fbi_i1(now: datetime | None = None) -> dict[str, Any]:
    """F-FBI-I1: an (i)(1) request under an ex parte order covering TP-2002 (verified only
    once staff record it: :func:`order_record`)."""
    now = now or _now()
    body = fbi_i2(now)
    body["legal_basis"] = "6103(i)(1)"
    body["purpose"]["statutes"] = ["18 U.S.C. 1343"]
    body["purpose"]["description"] = "Wire fraud investigation"
    body["subjects"] = [
        {
            "ref": "TP-2002",
            "tin": GONZALEZ_TIN,
            "name": {"first": "Maria", "middle": "L", "last": "Gonzalez"},
            "address": None,
            "taxable_periods": [2023, 2024, 2025],
            "specific_reason": "Account holder receiving the proceeds of the fraudulent wires.",
        }
    ]
    body["court_order"] = {
        "order_type": "ex_parte_6103_i_1",
        "court": "U.S. District Court for the District of Maryland",
        "court_type": "us_district_court",
        "judge": "Hon. A. Magistrate",
        "judge_type": "magistrate_judge",
        "docket_number": fresh_docket("1:26-mj-00077"),
        "issued_at": (now - timedelta(days=50)).isoformat(),
        "expires_at": (now + timedelta(days=120)).isoformat(),
        "applicant_authorizer_role": "us_attorney",
        "covered_tins": [GONZALEZ_TIN],
        "covered_taxable_periods": [2023, 2024, 2025],
        "covered_data": ["last_known_address"],
        "named_recipients": ["Special Agent Dana Whitfield", "Special Agent Luis Ortega"],
        "arrest_warrant": None,
    }
    return body


def ice_1253(now: datetime | None = None) -> dict[str, Any]:
    """F-ICE-1253: an ICE §1253(a)(1) 'criminal' request under the MOU."""
    now = now or _now()
    body = fbi_i2(now)
    body["request_id"] = f"ICE-{uuid.uuid4()}"
    body["invokes_irs_dhs_mou"] = True
    body["purpose"] = {
        "category": "immigration_criminal",
        "enforcement_nature": "criminal",
        "statutes": ["8 U.S.C. 1253(a)(1)"],
        "case_number": "ICE-1253-2026-0007",
        "description": "Failure to depart after a final order of removal",
        "downstream_civil_use": False,
        "onward_sharing_to": [],
    }
    body["recipients"] = [
        {
            "name": "Special Agent Kim Boyd",
            "title": "HSI Special Agent",
            "employer_agency": "DHS",
            "personally_and_directly_engaged": True,
            "open_caseload": 4,
        },
        {
            "name": "Special Agent Ray Chen",
            "title": "HSI Special Agent",
            "employer_agency": "DHS",
            "personally_and_directly_engaged": True,
            "open_caseload": 6,
        },
    ]
    removal = (now - timedelta(days=730)).date().isoformat()
    body["subjects"][0]["final_removal_order"] = {"date": removal, "case_number": "A-123-456-789"}
    return body


Delivery = Literal["once", "twice", "forged_token"]
"""How a scenario is sent: once; twice with the same request_id (S18, the second answer
is the one that counts); or with a token whose signature does not verify (S19)."""


@dataclass(frozen=True)
class Scenario:
    id: str
    agency: str
    role: str
    body: dict[str, Any]
    outcome: str
    subject_outcomes: list[str]
    rules: list[str] = field(default_factory=list)
    """Rule ids the answer must name (request-level or in the subjects' reasons)."""
    _: KW_ONLY
    says: str
    """What the gateway must do, used as the test id (``s24_marshals_..._the_address``)."""
    official: str | None = None
    """The signing official, when the agency and role alone do not say who (else
    ``tests.support.official_for`` picks the non-acting one)."""
    hidden_rules: list[str] = field(default_factory=list)
    """Rule ids decided on datastore facts: in the decision log, never in the answer."""
    delivery: Delivery = "once"
    known_gap: str | None = None
    """Why the gateway's answer differs from POLICY_MODEL.md (the test is a strict xfail)."""


def _with(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    for path, value in changes.items():
        node: Any = out
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        last = keys[-1]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return out


def _recipients(employer: str, caseloads: list[int]) -> list[dict[str, Any]]:
    """Engaged employee recipients of one department, as the Rego testkit builds them."""
    return [
        {
            "name": f"Recipient {k}",
            "title": "Investigator",
            "employer_agency": employer,
            "personally_and_directly_engaged": True,
            "open_caseload": caseload,
        }
        for k, caseload in enumerate(caseloads)
    ]


def _purpose(
    category: str,
    nature: str,
    statutes: list[str],
    case_number: str | None,
    description: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "category": category,
        "enforcement_nature": nature,
        "statutes": statutes,
        "case_number": case_number,
        "description": description,
        "downstream_civil_use": False,
        "onward_sharing_to": [],
        **extra,
    }


def batch_tin(k: int) -> str:
    """A distinct ITIN-shaped TIN for batch entry k; no demo or seeded taxpayer has one."""
    digits = f"9{k:08d}"
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def batch(template: dict[str, Any], n: int, reason: str) -> list[dict[str, Any]]:
    """n distinct subjects modelled on the template's first one (own ref, TIN and last name),
    all with the same reason text: the boilerplate of a bulk request."""
    first = template["subjects"][0]
    return [
        _with(
            {"s": first},
            s__ref=f"TP-{k:06d}",
            s__tin=batch_tin(k),
            s__name={"first": "Alex", "middle": None, "last": f"Person{k:06d}"},
            s__specific_reason=reason,
        )["s"]
        for k in range(1, n + 1)
    ]


def s20_address(k: int) -> dict[str, Any] | None:
    """S20 entry k's address: one in ten complete (None: keep it), the others ZIP-only or
    placeholders, as in the August 2025 file (policies/gateway/testkit, ``s20_address``)."""
    if k % 10 == 0:
        return None
    if k % 2 == 1:
        return {"line1": "", "line2": None, "city": "", "state": "", "zip": "20001"}
    return {"line1": "N/A", "line2": None, "city": "N/A", "state": "TX", "zip": "12345"}


BULK_S13 = 150
BULK_S17 = 150
BULK_S20 = 120
"""Batch sizes of the Rego scenario tests (POLICY_MODEL.md §4.2 has 1,200, 50,000 and
1.28 M). Every rule involved only needs BULK_DENY_MIN (100) entries; 50,000 and 1.28 M are
above the gateway's 2,000-subject limit anyway."""


def scenarios(now: datetime | None = None) -> list[Scenario]:
    """S01–S34 of POLICY_MODEL.md §4.2, as an agency would send them today."""
    now = now or _now()
    i2, i1, ice = fbi_i2(now), fbi_i1(now), ice_1253(now)
    return [_fresh_id(s) for s in _scenario_list(now, i2, i1, ice)]


def _fresh_id(s: Scenario) -> Scenario:
    """Every scenario is its own request: a shared request_id would make it a replay,
    and a shared docket number one order recorded twice."""
    s.body["request_id"] = f"{s.id}-{uuid.uuid4()}"
    order = s.body.get("court_order")
    if order:
        order["docket_number"] = fresh_docket(order["docket_number"])
    return s


def _s13(i2: dict[str, Any]) -> dict[str, Any]:
    body = _with(i2, recipients=_recipients("DOJ", [1200]))
    body["subjects"] = batch(i2, BULK_S13, "Associated with the investigation.")
    return body


def _s17(i2: dict[str, Any]) -> dict[str, Any]:
    body = _with(
        i2,
        legal_basis="NONE",
        purpose=_purpose("other", "unknown", [], None, "Data integrity review of taxpayer files."),
        recipients=_recipients("UNKNOWN", [50_000]),
    )
    body["subjects"] = batch(i2, BULK_S17, "Data integrity review.")
    return body


def _s20(ice: dict[str, Any]) -> dict[str, Any]:
    body = _with(
        ice,
        recipients=[
            {
                "name": "Assistant Director, Enforcement",
                "title": "Assistant Director",
                "employer_agency": "DHS",
                "personally_and_directly_engaged": True,
                "open_caseload": 1_280_000,
            }
        ],
    )
    subjects = batch(ice, BULK_S20, "Subject of a final order of removal.")
    for k, subject in enumerate(subjects):
        address = s20_address(k)
        if address is not None:
            subject["address"] = address
    body["subjects"] = subjects
    return body


def _usms_i5(i1: dict[str, Any]) -> dict[str, Any]:
    recipients = _recipients("DOJ", [6, 9])
    return _with(
        i1,
        legal_basis="6103(i)(5)",
        purpose=_purpose(
            "fugitive_location",
            "criminal",
            ["18 U.S.C. 1951"],
            "USMS-SDNY-2026-0419",
            "Fugitive on a federal arrest warrant for Hobbs Act robbery.",
        ),
        recipients=recipients,
        court_order__order_type="ex_parte_6103_i_5",
        court_order__court="U.S. District Court for the Southern District of New York",
        court_order__judge="Hon. Samuel K. Abernathy",
        court_order__judge_type="district_judge",
        court_order__docket_number="1:26-mc-00114",
        court_order__named_recipients=[r["name"] for r in recipients],
        court_order__arrest_warrant={"type": "judicial", "offense_class": "felony"},
    )


def _scenario_list(
    now: datetime, i2: dict[str, Any], i1: dict[str, Any], ice: dict[str, Any]
) -> list[Scenario]:
    return [
        Scenario(
            "S01",
            "DHS-ICE-HSI",
            "COMPONENT_HEAD",
            _with(
                ice,
                purpose__category="civil_immigration_enforcement",
                purpose__enforcement_nature="civil",
                purpose__statutes=["8 U.S.C. 1227", "8 U.S.C. 1231"],
                subjects__0__specific_reason="locate for removal",
            ),
            "denied",
            ["denied"],
            ["INJ-1", "INJ-4", "6103-I2-5b", "6103-I2-8", "GW-11"],
            says="s01_ice_civil_removal_request_is_enjoined",
        ),
        Scenario(
            "S02",
            "DHS-ICE-HSI",
            "COMPONENT_HEAD",
            _with(ice),
            "denied",
            ["denied"],
            ["INJ-1", "INJ-4", "GW-11"],
            says="s02_ice_1253_criminal_request_is_enjoined",
        ),
        Scenario(
            "S03",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i1),
            "allowed",
            ["disclosed"],
            ["6103-I1-OK"],
            says="s03_fbi_ex_parte_order_releases_the_address",
        ),
        Scenario(
            "S04",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(
                i1,
                court_order__issued_at=(now - timedelta(days=80)).isoformat(),
                court_order__expires_at=(now - timedelta(days=15)).isoformat(),
            ),
            "denied",
            ["denied"],
            ["6103-I1-4", "GW-11"],
            says="s04_expired_order_is_denied",
        ),
        Scenario(
            "S05",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(
                i1,
                subjects__0__ref="TP-3003",
                subjects__0__tin=OKAFOR_TIN,
                subjects__0__name={"first": "Samuel", "middle": "K", "last": "Okafor"},
            ),
            "denied",
            ["denied"],
            ["6103-I1-5", "GW-11"],
            says="s05_taxpayer_outside_the_order_is_denied_uniformly",
        ),
        Scenario(
            "S06",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2),
            "allowed",
            ["disclosed"],
            ["6103-I2-OK"],
            says="s06_fbi_director_written_request_releases_the_address",
        ),
        Scenario(
            "S07",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, subjects__0__taxable_periods="ALL"),
            "denied",
            ["denied"],
            ["6103-I2-4", "GW-11"],
            says="s07_all_periods_is_denied",
        ),
        Scenario(
            "S08",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, subjects__0__specific_reason=""),
            "denied",
            ["denied"],
            ["6103-I2-6", "GW-11"],
            says="s08_missing_specific_reason_is_denied",
        ),
        Scenario(
            "S09",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, purpose__statutes=[]),
            "denied",
            ["denied"],
            ["6103-I2-5", "GW-11"],
            says="s09_no_statute_cited_is_denied",
        ),
        Scenario(
            "S10",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, subjects__0__address=None),
            "denied",
            ["denied"],
            ["6103-I2-3", "GW-11"],
            says="s10_name_and_ssn_without_address_is_denied",
        ),
        Scenario(
            "S11",
            "DOJ-FBI",
            "OTHER",
            _with(i2),
            "denied",
            ["denied"],
            ["6103-I2-2", "GW-11"],
            says="s11_special_agent_in_charge_may_not_sign",
            official="fbi-sac-baltimore",
        ),
        Scenario(
            "S12",
            "DOJ-DEA",
            "DEA_ADMINISTRATOR",
            _with(i2, purpose__statutes=["21 U.S.C. 841(a)"]),
            "allowed",
            ["disclosed"],
            ["6103-I2-OK"],
            says="s12_dea_administrator_request_releases_the_address",
            official="dea-administrator",
        ),
        Scenario(
            "S13",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _s13(i2),
            "denied",
            ["denied"] * BULK_S13,
            ["GW-9b", "6103-I2-6", "6103-I2-7", "GW-11"],
            says="s13_bulk_boilerplate_request_is_denied",
            # none of the batch is in the datastore: no candidate, decided from the store
            hidden_rules=["6103-I2-10"],
        ),
        Scenario(
            "S14",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            # "Jose" against the record's "Jordan": name score 0.61, one candidate by
            # last name and date of birth, method NAME_DOB_ADDRESS
            _with(
                i2,
                subjects__0__tin=None,
                subjects__0__name={"first": "Jose", "middle": None, "last": "Rivera"},
                subjects__0__date_of_birth="1985-04-12",
            ),
            "denied",
            ["denied"],
            ["GW-11"],
            says="s14_weak_name_match_is_denied_without_saying_why",
            hidden_rules=["6103-I2-10"],
        ),
        Scenario(
            "S15",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(
                about(i2, OKAFOR),
                fields=["last_known_address", "tin", "income", "filing_status", "bank_account"],
            ),
            "allowed",
            ["disclosed"],
            ["6103-I2-9", "6103-I2-9b", "GW-8", "6103-I2-OK"],
            says="s15_extra_fields_are_withheld_and_the_address_released",
        ),
        Scenario(
            "S16",
            "CA-FTB",
            "STATE_TAX_HEAD",
            _with(
                i2,
                legal_basis="6103(d)",
                purpose=_purpose(
                    "state_tax_admin",
                    "civil",
                    ["Cal. Rev. & Tax. Code 19087"],
                    "FTB-NF-2026-3310",
                    "Nonfiler case: California-source wages reported for 2023 and 2024, "
                    "no State return filed.",
                ),
                recipients=_recipients("STATE_TAX", [40, 35]),
            ),
            "allowed",
            ["disclosed"],
            ["6103-D-1"],
            says="s16_state_tax_agency_nonfiler_case_releases_the_address",
            official="ca-ftb-executive-officer",
        ),
        Scenario(
            "S17",
            "DOGE",
            "OTHER",
            _s17(i2),
            "denied",
            ["denied"] * BULK_S17,
            ["GW-4", "GW-5", "GW-9b", "GW-11"],
            says="s17_doge_bulk_request_without_basis_is_denied",
            official="doge-administrator",
            hidden_rules=["6103-I2-10"],
        ),
        Scenario(
            "S18",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            # S06's ask about another taxpayer, so that the first send is not a GW-3b
            # duplicate of S06 when both go to the same gateway
            about(i2, CHEN),
            "denied",
            ["denied"],
            ["GW-3", "GW-11"],
            says="s18_resubmitted_request_id_is_denied_as_a_replay",
            delivery="twice",
        ),
        Scenario(
            "S19",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2),
            "denied",
            ["denied"],
            ["GW-2"],
            says="s19_forged_signature_is_refused_before_any_decision",
            delivery="forged_token",
        ),
        Scenario(
            "S20",
            "DHS-ICE-HSI",
            "COMPONENT_HEAD",
            _s20(ice),
            "denied",
            ["denied"] * BULK_S20,
            ["GW-9b", "6103-I2-7", "6103-I2-3", "6103-I2-6", "GW-11"],
            # §4.2 decides S20 at 2025-08-06, before any injunction. The gateway decides at
            # its own clock, so it is sent today: still denied by the bulk, recipient and
            # address rules above, and now also by INJ-1 and INJ-4 (CTR-PI, CEDC-PI).
            says="s20_august_2025_ice_bulk_file_is_denied",
            official="ice-director",
            hidden_rules=["6103-I2-10"],
        ),
        Scenario(
            "S21",
            "ED",
            "SEC_EDUCATION",
            _with(
                i2,
                legal_basis="6103(m)(4)",
                purpose=_purpose(
                    "student_loan_collection",
                    "civil",
                    ["20 U.S.C. 1080"],
                    "ED-DL-2026-77812",
                    "Defaulted William D. Ford Direct Loan; mailing address needed for "
                    "collection notices.",
                ),
                recipients=_recipients("ED", [30]),
            ),
            "allowed",
            ["disclosed"],
            ["6103-M4-1"],
            says="s21_education_defaulted_loan_releases_the_mailing_address",
        ),
        Scenario(
            "S22",
            "TREAS-BFS",
            "COMPONENT_HEAD",
            _with(
                i2,
                legal_basis="6103(m)(2)",
                purpose=_purpose(
                    "federal_claim_collection",
                    "civil",
                    ["31 U.S.C. 3711"],
                    "BFS-TOP-2026-55102",
                    "Delinquent non-tax debt referred by HUD.",
                    claim_reference="31 U.S.C. 3711 claim BFS-TOP-2026-55102",
                ),
                recipients=_recipients("TREASURY", [20]),
                fields=["last_known_address", "income"],
            ),
            "allowed",
            ["disclosed"],
            ["6103-M2-1", "GW-8"],
            says="s22_fiscal_service_claim_releases_the_mailing_address_only",
            official="bfs-commissioner",
        ),
        Scenario(
            "S23",
            "SSA",
            "SSA_COMMISSIONER",
            _with(
                i2,
                legal_basis="6103(m)(7)",
                purpose=_purpose(
                    "ss_statement_mailing",
                    "civil",
                    ["42 U.S.C. 1320b-13"],
                    None,
                    "Social Security Statement mailing.",
                ),
                recipients=_recipients("SSA", [10]),
            ),
            "allowed",
            ["disclosed"],
            ["6103-M7-1"],
            says="s23_ssa_statement_mailing_releases_the_mailing_address",
        ),
        Scenario(
            "S24",
            "DOJ-USMS",
            "COMPONENT_HEAD",
            _usms_i5(i1),
            "allowed",
            ["disclosed"],
            ["6103-I5-1"],
            says="s24_marshals_fugitive_order_releases_the_address",
            official="usms-director",
        ),
        Scenario(
            "S25",
            "OPM-NEWOFFICE",
            "AGENCY_HEAD",
            _with(i2, recipients=_recipients("OTHER_FEDERAL", [3])),
            "denied",
            ["denied"],
            ["GW-6", "6103-P4-1", "GW-11"],
            says="s25_agency_without_safeguards_is_denied",
            official="opm-newoffice-director",
        ),
        Scenario(
            "S26",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, legal_basis="6103(i)(3)(A)"),
            "denied",
            ["denied"],
            ["6103-I3-1", "GW-11"],
            says="s26_i3a_cannot_be_requested",
        ),
        Scenario(
            "S27",
            "BALT-PD",
            "OTHER",
            _with(
                i2,
                purpose__statutes=["Md. Code, Crim. Law 6-202"],
                purpose__case_number="BPD-2026-018844",
                purpose__description="Residential burglary investigation.",
                recipients=_recipients("LOCAL_LE", [12]),
            ),
            "denied",
            ["denied"],
            ["GW-4", "GW-5", "GW-11"],
            says="s27_city_police_is_not_an_eligible_recipient",
            official="balt-pd-commissioner",
        ),
        Scenario(
            "S28",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, purpose__statutes=["26 U.S.C. 7201"]),
            "denied",
            ["denied"],
            ["6103-I2-5b", "GW-11"],
            says="s28_tax_evasion_is_not_an_i2_matter",
        ),
        Scenario(
            "S29",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(
                i2,
                subjects__0__specific_reason=(
                    "Address will be provided to ICE ERO to effect removal."
                ),
                purpose__downstream_civil_use=True,
                purpose__onward_sharing_to=["DHS"],
            ),
            "denied",
            ["denied"],
            ["6103-I2-8", "INJ-1", "GW-11"],
            says="s29_fbi_conduit_to_ice_removal_is_denied",
        ),
        Scenario(
            "S30",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(
                i2,
                subjects__0__address={
                    "line1": "Don't Care",
                    "line2": None,
                    "city": "Baltimore",
                    "state": "MD",
                    "zip": "12345",
                },
            ),
            "denied",
            ["denied"],
            ["6103-I2-3", "GW-11"],
            says="s30_dont_care_12345_is_not_an_address",
        ),
        Scenario(
            "S31",
            "TX-CPA",
            "STATE_TAX_HEAD",
            _with(
                i2,
                legal_basis="6103(d)",
                purpose=_purpose(
                    "other",
                    "unknown",
                    [],
                    None,
                    "Share with State DPS for immigration cooperation.",
                    onward_sharing_to=["STATE_LE"],
                ),
                recipients=_recipients("STATE_TAX", [15]),
            ),
            "denied",
            ["denied"],
            ["6103-D-2", "GW-11"],
            says="s31_state_tax_agency_onward_sharing_is_denied",
            official="tx-comptroller",
        ),
        Scenario(
            "S32",
            "DHS-CBP",
            "AGENCY_HEAD",
            _with(ice, invokes_irs_dhs_mou=False, purpose__statutes=["8 U.S.C. 1325(a)"]),
            "denied",
            ["denied"],
            ["INJ-1", "GW-11"],
            says="s32_cbp_improper_entry_request_is_enjoined",
            # a department-HQ official signing for a component of the same department
            official="dhs-secretary",
        ),
        Scenario(
            "S33",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(
                about(i1, WHITFIELD),
                court_order__covered_data=["all_return_info"],
                fields=["last_known_address", "income", "dependents"],
            ),
            "allowed",
            ["disclosed"],
            ["6103-I1-9", "GW-8", "6103-I1-OK"],
            says="s33_order_for_all_return_info_still_releases_only_the_address",
        ),
        Scenario(
            "S34",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(
                about(i2, OBRIEN),
                legal_basis="6103(i)(7)(A)",
                purpose=_purpose(
                    "terrorism",
                    "criminal",
                    ["18 U.S.C. 2339B"],
                    "FBI-JTTF-2026-0031",
                    "Material support to a designated foreign terrorist organization.",
                ),
                subjects__0__specific_reason=(
                    "Wired funds in 2024 to an account controlled by a designated "
                    "organization's finance officer."
                ),
            ),
            "pending_review",
            ["pending_review"],
            ["6103-I7-1"],
            says="s34_terrorism_request_goes_to_human_review",
        ),
    ]


def rule_ids(answer: dict[str, Any]) -> set[str]:
    """Every rule id an answer names, request-level and per subject."""
    ids = {r["rule"] for r in answer["reasons"]}
    for result in answer["results"]:
        ids |= {r["rule"] for r in result["reasons"]}
    return ids


def assert_decided_as(scenario: Scenario, answer: dict[str, Any], record: dict[str, Any]) -> None:
    """The answer and its decision-log leaf say what POLICY_MODEL.md §4.2 says.

    Rules decided on datastore facts (``hidden_rules``) must be in the leaf and
    never in the answer.
    """
    assert answer["outcome"] == scenario.outcome
    assert [r["outcome"] for r in answer["results"]] == scenario.subject_outcomes
    assert set(scenario.rules) <= rule_ids(answer)
    assert answer["policy_revision"].startswith("sha256:")
    for result in answer["results"]:
        assert (result["address"] is not None) == (result["outcome"] == "disclosed")
    assert record["decision_id"] == answer["decision_id"]
    assert record["outcome"] == answer["outcome"]
    logged = set(record["rules"]).union(*(set(s["rules"]) for s in record["subjects"]))
    hidden = set(scenario.hidden_rules)
    assert hidden <= logged
    assert not hidden & rule_ids(answer), "a datastore-derived rule reached the agency"
