"""The named demo taxpayers that scenario tests rely on, and the demo import fixture.

Every seeded population starts with :data:`DEMO_RECORDS`, in this order, so
they get taxpayer ids 1-8 (see ``gateway/store/README.md`` for the table).
``tests/assets/taxpayers/demo.jsonl`` holds the same records followed by
:data:`FIXTURE_EXTRA_RECORDS`; rebuild it with
``uv run python -m gateway.store.demo > tests/assets/taxpayers/demo.jsonl``
(a test fails when the file and this module disagree).

TIN ranges reserved for demo and fixture records, never produced by the
synthetic seed: SSN area ``123`` and ITIN area ``900``. Synthetic taxpayers
also never share both the last name and date of birth of a demo taxpayer, so
a name + date-of-birth search for one of them finds exactly one record.

All people, addresses, employers and account numbers are fictional.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.store.records import TaxpayerRecord

_ELM_ST = {"line1": "1420 Elm St", "line2": "Apt 3", "city": "Baltimore", "state": "MD"}
_BAYARD_ST = {"line1": "310 Bayard St", "line2": "Unit 5", "city": "Hyattsville", "state": "MD"}


def _address(
    fields: dict[str, Any], zip_code: str, tax_year: int, source: str, supplied: bool
) -> dict[str, Any]:
    return {
        "line1": fields["line1"],
        "line2": fields.get("line2"),
        "city": fields["city"],
        "state": fields["state"],
        "zip": zip_code,
        "tax_year": tax_year,
        "source": source,
        "taxpayer_supplied": supplied,
    }


def _return(
    tax_year: int, status: str, agi: int, employer: str | None, bank: str | None
) -> dict[str, Any]:
    return {
        "tax_year": tax_year,
        "filing_status": status,
        "agi": agi,
        "employer": employer,
        "bank_account": bank,
    }


def _person(
    tin: str,
    tin_type: str,
    name: tuple[str, str | None, str],
    dob: str,
    addresses: list[dict[str, Any]],
    returns: list[dict[str, Any]],
    *,
    informant: bool = False,
    impairment: bool = False,
) -> dict[str, Any]:
    return {
        "tin": tin,
        "tin_type": tin_type,
        "name": {"first": name[0], "middle": name[1], "last": name[2]},
        "date_of_birth": dob,
        "addresses": addresses,
        "returns": returns,
        "flags": {
            "confidential_informant": informant,
            "tax_investigation_impairment": impairment,
        },
    }


DEMO_LABELS = (
    "TP-1001",
    "TP-2002",
    "TP-3003",
    "TP-4004",
    "TP-5005",
    "TP-6006",
    "TP-7007",
    "TP-8008",
)
"""Scenario names of :data:`DEMO_RECORDS`, in the same order (taxpayer ids 1-8 when seeded)."""

DEMO_JSON: tuple[dict[str, Any], ...] = (
    # TP-1001: the F-FBI-I2 subject; last known address 2024, an older third-party one 2022.
    _person(
        "123-45-6789",
        "SSN",
        ("Jordan", "A.", "Rivera"),
        "1985-04-12",
        [
            _address(
                {"line1": "88 Harbor View Rd", "city": "Towson", "state": "MD"},
                "21204",
                2022,
                "form_w2",
                False,
            ),
            _address(_ELM_ST, "21201", 2024, "form_1040", True),
        ],
        [
            _return(2022, "single", 48500, "Chesapeake Freight LLC", "5550001234"),
            _return(2024, "single", 52000, "Inner Harbor Logistics Inc", "5550001234"),
        ],
    ),
    # TP-2002: ITIN holder covered by the F-FBI-I1 order; addresses for 2023 and 2025 only.
    _person(
        "900-70-2002",
        "ITIN",
        ("Maria", "L.", "Gonzalez"),
        "1979-09-23",
        [
            _address(
                {"line1": "77 Ridge Ave", "city": "Silver Spring", "state": "MD"},
                "20910",
                2023,
                "form_w7",
                True,
            ),
            _address(_BAYARD_ST, "20781", 2025, "form_1040", True),
        ],
        [
            _return(2023, "head_of_household", 31200, "Sunrise Cleaning Co", None),
            _return(2025, "head_of_household", 34800, "Sunrise Cleaning Co", "7770002002"),
        ],
    ),
    # TP-3003: a taxpayer outside the F-FBI-I1 order's covered TINs.
    _person(
        "123-45-3003",
        "SSN",
        ("Samuel", "K.", "Okafor"),
        "1990-01-30",
        [
            _address(
                {"line1": "2210 N Charles St", "city": "Baltimore", "state": "MD"},
                "21218",
                2023,
                "form_1099",
                False,
            ),
            _address(
                {"line1": "2210 N Charles St", "line2": "Fl 2", "city": "Baltimore", "state": "MD"},
                "21218",
                2024,
                "form_1040",
                True,
            ),
        ],
        [_return(2024, "single", 61000, "Mercy Ridge Hospital", "3330003003")],
    ),
    # TP-4004: record flagged as a confidential informant.
    _person(
        "123-45-4004",
        "SSN",
        ("Priya", "N.", "Raman"),
        "1982-06-02",
        [
            _address(
                {"line1": "9 Lark Song Ct", "city": "Columbia", "state": "MD"},
                "21044",
                2024,
                "form_1040",
                True,
            )
        ],
        [_return(2024, "married_filing_separately", 88000, "Patuxent Analytics", None)],
        informant=True,
    ),
    # TP-5005: record whose disclosure would impair a tax investigation.
    _person(
        "123-45-5005",
        "SSN",
        ("Daniel", "T.", "Brooks"),
        "1975-11-17",
        [
            _address(
                {"line1": "14 Prince George St", "city": "Annapolis", "state": "MD"},
                "21401",
                2024,
                "form_1040",
                True,
            )
        ],
        [_return(2024, "married_filing_jointly", 143000, None, "4440005005")],
        impairment=True,
    ),
    # TP-6006: same first and last name as TP-1001, another person (common-name risk).
    _person(
        "123-45-6006",
        "SSN",
        ("Jordan", "M.", "Rivera"),
        "1992-08-30",
        [
            _address(
                {"line1": "5 Cedar Ct", "city": "Frederick", "state": "MD"},
                "21701",
                2024,
                "form_1040",
                True,
            )
        ],
        [_return(2024, "single", 39000, "Monocacy Outfitters", None)],
    ),
    # TP-7007: lives with TP-2002 in 2025 (shared household).
    _person(
        "900-71-7007",
        "ITIN",
        ("Elena", "R.", "Gonzalez"),
        "2001-03-14",
        [_address(_BAYARD_ST, "20781", 2025, "form_w7", True)],
        [_return(2025, "single", 18400, "Sunrise Cleaning Co", None)],
    ),
    # TP-8008: three 2025 addresses; the form 8822 change of address is the last known one.
    _person(
        "123-45-8008",
        "SSN",
        ("Thomas", None, "Whitfield"),
        "1968-02-29",
        [
            _address(
                {"line1": "400 Industrial Pkwy", "city": "Dundalk", "state": "MD"},
                "21222",
                2025,
                "form_1040",
                True,
            ),
            _address(
                {"line1": "19 Mill Race Rd", "city": "Ellicott City", "state": "MD"},
                "21043-4417",
                2025,
                "form_8822",
                True,
            ),
            _address(
                {"line1": "PO Box 3100", "city": "Baltimore", "state": "MD"},
                "21203",
                2025,
                "form_w2",
                False,
            ),
        ],
        [_return(2025, "single", 72500, "Bay Shipyard Services", "2220008008")],
    ),
)
"""The demo taxpayers as import-format JSON objects."""

FIXTURE_EXTRA_JSON: tuple[dict[str, Any], ...] = (
    # Accents and punctuation: matching must be insensitive to them.
    _person(
        "900-72-0009",
        "ITIN",
        ("Ana", "Sofía", "Núñez"),
        "1994-12-05",
        [
            _address(
                {"line1": "61 Weber Ln", "city": "Wheaton", "state": "MD"},
                "20902",
                2024,
                "form_w7",
                True,
            )
        ],
        [],
    ),
    _person(
        "123-45-9001",
        "SSN",
        ("Kevin", "P.", "O'Brien"),
        "1971-07-04",
        [
            _address(
                {"line1": "3 Fells Point Sq", "city": "Baltimore", "state": "MD"},
                "21231",
                2021,
                "form_1040",
                True,
            ),
            _address(
                {"line1": "3 Fells Point Sq", "city": "Baltimore", "state": "MD"},
                "21231",
                2023,
                "form_1099",
                False,
            ),
        ],
        [_return(2023, "married_filing_jointly", 97000, "Pier Six Marine", None)],
    ),
    _person(
        "123-45-9002",
        "SSN",
        ("Wei", None, "Chen"),
        "1988-10-21",
        [
            _address(
                {
                    "line1": "1200 Rockville Pike",
                    "line2": "Apt 804",
                    "city": "Rockville",
                    "state": "MD",
                },
                "20852",
                2025,
                "form_1040",
                True,
            )
        ],
        [_return(2025, "single", 118000, "Shady Grove Biotech", "6660009002")],
    ),
    _person(
        "123-45-9003",
        "SSN",
        ("Fatima", "Z.", "Al-Sayed"),
        "1999-05-09",
        [
            _address(
                {"line1": "45 Campus Dr", "city": "College Park", "state": "MD"},
                "20742-1001",
                2024,
                "form_w2",
                False,
            )
        ],
        [_return(2024, "single", 22000, "Terrapin Books", None)],
    ),
)
"""Further fixture-only taxpayers (not seeded): accents, apostrophes, ZIP+4, no returns."""


def _parse(raw: dict[str, Any]) -> TaxpayerRecord:
    return TaxpayerRecord.model_validate_json(json.dumps(raw))


DEMO_RECORDS: tuple[TaxpayerRecord, ...] = tuple(_parse(raw) for raw in DEMO_JSON)
"""The demo taxpayers, validated exactly as an import would validate them."""


def fixture_lines() -> list[str]:
    """The lines of ``tests/assets/taxpayers/demo.jsonl``, newline-terminated."""
    return [json.dumps(raw, ensure_ascii=False) + "\n" for raw in (*DEMO_JSON, *FIXTURE_EXTRA_JSON)]


if __name__ == "__main__":
    import sys

    sys.stdout.buffer.write("".join(fixture_lines()).encode("utf-8"))
