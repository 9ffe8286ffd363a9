"""Wire-format request bodies for the POLICY_MODEL.md §4 fixtures and scenarios.

Dates are relative to "now" (the gateway decides at its own clock): an order
issued 50 days ago that expires in 120 days, a removal order two years old.
Each scenario names the agency that sends it, the official's registry role,
and what the gateway must answer.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

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


def _now() -> datetime:
    return datetime.now(UTC)


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
    """F-FBI-I1: an (i)(1) request under a verified ex parte order covering TP-2002."""
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
        "docket_number": "1:26-mj-00077",
        "issued_at": (now - timedelta(days=50)).isoformat(),
        "expires_at": (now + timedelta(days=120)).isoformat(),
        "applicant_authorizer_role": "us_attorney",
        "covered_tins": [GONZALEZ_TIN],
        "covered_taxable_periods": [2023, 2024, 2025],
        "covered_data": ["last_known_address"],
        "named_recipients": ["Special Agent Dana Whitfield", "Special Agent Luis Ortega"],
        "arrest_warrant": None,
        "verified_with_court": True,
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


def scenarios(now: datetime | None = None) -> list[Scenario]:
    """S01–S10 (issue 2's set), as an agency would send them today."""
    now = now or _now()
    i2, i1, ice = fbi_i2(now), fbi_i1(now), ice_1253(now)
    return [_fresh_id(s) for s in _scenario_list(now, i2, i1, ice)]


def _fresh_id(s: Scenario) -> Scenario:
    """Every scenario is its own request: a shared request_id would make it a replay."""
    s.body["request_id"] = f"{s.id}-{uuid.uuid4()}"
    return s


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
            ["INJ-1", "INJ-4", "6103-I2-5b", "6103-I2-8"],
        ),
        Scenario(
            "S02", "DHS-ICE-HSI", "COMPONENT_HEAD", ice, "denied", ["denied"], ["INJ-1", "INJ-4"]
        ),
        Scenario("S03", "DOJ-FBI", "FBI_DIRECTOR", i1, "allowed", ["disclosed"], ["6103-I1-OK"]),
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
            ["6103-I1-4"],
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
            ["GW-11"],
        ),
        Scenario("S06", "DOJ-FBI", "FBI_DIRECTOR", i2, "allowed", ["disclosed"], ["6103-I2-OK"]),
        Scenario(
            "S07",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, subjects__0__taxable_periods="ALL"),
            "denied",
            ["denied"],
            ["6103-I2-4", "GW-11"],
        ),
        Scenario(
            "S08",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, subjects__0__specific_reason=""),
            "denied",
            ["denied"],
            ["6103-I2-6", "GW-11"],
        ),
        Scenario(
            "S09",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, purpose__statutes=[]),
            "denied",
            ["denied"],
            ["6103-I2-5"],
        ),
        Scenario(
            "S10",
            "DOJ-FBI",
            "FBI_DIRECTOR",
            _with(i2, subjects__0__address=None),
            "denied",
            ["denied"],
            ["6103-I2-3", "GW-11"],
        ),
    ]


def rule_ids(answer: dict[str, Any]) -> set[str]:
    """Every rule id an answer names, request-level and per subject."""
    ids = {r["rule"] for r in answer["reasons"]}
    for result in answer["results"]:
        ids |= {r["rule"] for r in result["reasons"]}
    return ids
