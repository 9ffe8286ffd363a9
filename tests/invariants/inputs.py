"""Edits of a policy input: what the datastore might report, and what a request might lack.

The policy-input layer starts from inputs the real pipeline built (unsealed
from the decision log) and sends edited copies straight to a real OPA server.
That reaches what no agency can write: match facts that are absent, null,
contradictory or of the wrong type (as a broken datastore adapter might send
them), a missing signer, a decision time after an order expired.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from gateway.pdp.input import KNOWN_BASES, MOU_BASIS

Input = dict[str, Any]

MATCH_KEYS = ("candidates", "name_score", "tin_match", "dob_match", "method")
ODD_VALUES: tuple[Any, ...] = (
    None,
    "NaN",
    "Infinity",
    "-Infinity",
    "1",
    "1.0",
    "0.99",
    "",
    "true",
    True,
    False,
    [],
    {},
    [1],
    {"value": 1},
    0,
    1,
    2,
    -1,
    0.5,
    0.84,
    0.85,
    0.8499999,
    0.95,
    1.0,
    1.0000001,
    1.5,
    1e308,
    -1e308,
    -0.0,
    "TIN_NAME",
    "NAME_ONLY",
)
"""Values a broken adapter could put in a match fact: NaN-like strings, numbers as strings,
booleans, containers, the thresholds and their neighbours, out-of-range numbers."""


@dataclass(frozen=True)
class InputEdit:
    """One named change to a policy input (the name is what a falsifying example shows)."""

    name: str
    change: Callable[[Input], None]

    def __repr__(self) -> str:
        return self.name


def edited(policy_input: Input, edits: list[InputEdit]) -> Input:
    out = copy.deepcopy(policy_input)
    for e in edits:
        e.change(out)
    return out


def _taxpayers(i: Input) -> list[dict[str, Any]]:
    ts: list[dict[str, Any]] = i["taxpayers"]
    return ts


# --- (4) match facts ---------------------------------------------------------------


def _set_match(key: str, value: Any) -> InputEdit:
    def change(i: Input) -> None:
        for t in _taxpayers(i):
            if isinstance(t.get("match"), dict):
                t["match"][key] = copy.deepcopy(value)

    return InputEdit(f"match.{key} = {value!r}", change)


def _drop_match_key(key: str) -> InputEdit:
    def change(i: Input) -> None:
        for t in _taxpayers(i):
            if isinstance(t.get("match"), dict):
                t["match"].pop(key, None)

    return InputEdit(f"match.{key} absent", change)


def _replace_match(value: Any) -> InputEdit:
    def change(i: Input) -> None:
        for t in _taxpayers(i):
            t["match"] = copy.deepcopy(value)

    return InputEdit(f"match = {value!r}", change)


def _drop_match() -> InputEdit:
    def change(i: Input) -> None:
        for t in _taxpayers(i):
            t.pop("match", None)

    return InputEdit("match absent", change)


def _supply(key: str, value: str) -> InputEdit:
    def change(i: Input) -> None:
        for t in _taxpayers(i):
            t["supplied"][key] = value

    return InputEdit(f"supplied.{key} = {value!r} (match facts unchanged)", change)


match_edits: st.SearchStrategy[InputEdit] = st.one_of(
    st.builds(_set_match, st.sampled_from(MATCH_KEYS), st.sampled_from(ODD_VALUES)),
    st.sampled_from(MATCH_KEYS).map(_drop_match_key),
    st.sampled_from((None, "", [], "1", {"candidates": 1})).map(_replace_match),
    st.just(_drop_match()),
    st.just(_supply("dob", "1970-01-01")),
    st.just(_supply("tin", "000-00-0001")),
)
CONTRADICTIONS: dict[str, list[InputEdit]] = {
    "no_candidate_but_perfect_name_score": [
        _set_match("candidates", 0),
        _set_match("name_score", 1.0),
    ],
    "tin_mismatch_with_perfect_name_score": [
        _set_match("tin_match", False),
        _set_match("name_score", 1.0),
    ],
    "no_candidate_but_tin_match": [_set_match("candidates", 0), _set_match("tin_match", True)],
    "birth_date_mismatch": [_set_match("dob_match", False), _supply("dob", "1970-01-01")],
    "birth_date_supplied_not_compared": [
        _set_match("dob_match", None),
        _supply("dob", "1970-01-01"),
    ],
    "tin_supplied_not_compared": [_set_match("tin_match", None)],
    "name_score_below_floor": [_set_match("name_score", 0.84)],
}
"""Contradictory or weak combinations worth trying on every base (explicit examples)."""


# --- (5) requirements and risks, in the policy's vocabulary -------------------------

REQUIRED: dict[str, tuple[str, ...]] = {
    "6103_i_1": ("recipients", "statutes", "court_order"),
    "6103_i_2": (
        "recipients",
        "statutes",
        "specific_reason",
        "written_request",
        "address",
        "name",
        "periods",
    ),
    "6103_i_5": ("court_order",),
    "6103_i_7_A": ("specific_reason",),
    "6103_d": ("recipients",),
    "6103_m_2": ("written_request", "claim_reference"),
}
ALWAYS_REQUIRED = ("signer", "signer_official", "signature", "safeguards", "address_field")
"""Required whatever the basis: a registered signer, a valid signature, current safeguards,
and the address among the requested fields."""


def _drop(element: str) -> InputEdit:
    def change(i: Input) -> None:
        purpose = i["purpose"]
        requester = i["requester"]
        match element:
            case "signer":
                requester.pop("signer", None)
            case "signer_official":
                requester["signer"] = dict(
                    requester.get("signer", {}), official_id="nobody-on-file"
                )
            case "signature":
                i["signature_valid"] = False
            case "safeguards":
                requester["safeguards_status"] = "LAPSED"
            case "address_field":
                i["requested_fields"] = [
                    f for f in i["requested_fields"] if f != "LAST_KNOWN_ADDRESS"
                ]
            case "recipients":
                requester["recipients"] = []
            case "statutes":
                for key in ("statutes_cited", "statutes"):
                    if key in purpose:
                        purpose[key] = []
            case "court_order":
                i["court_order"] = None
            case "specific_reason":
                for t in _taxpayers(i):
                    t["specific_reason"] = ""
            case "written_request":
                i["written_request"] = False
            case "address":
                for t in _taxpayers(i):
                    t["supplied"]["address"] = None
            case "name":
                for t in _taxpayers(i):
                    t["supplied"]["name"] = None
            case "periods":
                for t in _taxpayers(i):
                    t["taxable_periods"] = []
            case "claim_reference":
                purpose["claim_reference"] = None
            case _:
                raise ValueError(element)

    return InputEdit(f"without {element}", change)


def required(policy_input: Input) -> tuple[str, ...]:
    return ALWAYS_REQUIRED + REQUIRED.get(str(policy_input.get("legal_basis")), ())


def drop_required(policy_input: Input) -> st.SearchStrategy[InputEdit]:
    return st.sampled_from(required(policy_input)).map(_drop)


def _civil_use() -> InputEdit:
    def change(i: Input) -> None:
        i["purpose"]["downstream_civil_use"] = True

    return InputEdit("downstream civil use", change)


def _replayed() -> InputEdit:
    def change(i: Input) -> None:
        i["replay"]["request_id_seen"] = True

    return InputEdit("request id seen before", change)


def dhs_recipient(probe: Input) -> InputEdit:
    """A DHS recipient exactly as the pipeline writes one (taken from a probe request)."""
    recipient = probe["requester"]["recipients"][-1]

    def change(i: Input) -> None:
        i["requester"].setdefault("recipients", []).append(copy.deepcopy(recipient))

    return InputEdit(f"plus recipient employed by {recipient['employer_agency']!r}", change)


def dhs_onward(probe: Input) -> InputEdit:
    """Onward sharing to DHS as the pipeline writes it (every onward key of the probe)."""
    keys = {k: v for k, v in probe["purpose"].items() if k.startswith("onward")}

    def change(i: Input) -> None:
        for k, v in keys.items():
            existing = i["purpose"].get(k)
            i["purpose"][k] = [*(existing if isinstance(existing, list) else []), *v]

    return InputEdit(f"plus onward sharing {keys.get('onward_sharing_to')!r}", change)


def _after_expiry(seconds: int) -> InputEdit:
    def change(i: Input) -> None:
        order = i.get("court_order")
        if not isinstance(order, dict) or not isinstance(order.get("expires_at"), str):
            return
        expiry = datetime.fromisoformat(order["expires_at"])
        i["decision_time"] = (expiry + timedelta(seconds=seconds)).isoformat()

    return InputEdit(f"decided {seconds} s after the order expired", change)


def risks(probe_recipient: Input, probe_onward: Input) -> st.SearchStrategy[InputEdit]:
    """Additions that can only make a request worse."""
    return st.one_of(
        st.just(dhs_recipient(probe_recipient)),
        st.just(dhs_onward(probe_onward)),
        st.just(_civil_use()),
        st.just(_replayed()),
        st.integers(1, 400 * 86400).map(_after_expiry),
    )


# --- anything ---------------------------------------------------------------------------

POLICY_BASES = (*sorted(KNOWN_BASES), MOU_BASIS, "NONE")
CATEGORIES = (
    "NONTAX_CRIMINAL",
    "IMMIGRATION_CRIMINAL",
    "CIVIL_IMMIGRATION_ENFORCEMENT",
    "FUGITIVE_LOCATION",
    "TERRORISM",
    "EMERGENCY_LIFE_SAFETY",
    "STATE_TAX_ADMIN",
    "FEDERAL_CLAIM_COLLECTION",
    "STUDENT_LOAN_COLLECTION",
    "SS_STATEMENT_MAILING",
    "CHILD_SUPPORT",
    "DATA_REMEDIATION",
    "OTHER",
)
FIELDS = (
    "LAST_KNOWN_ADDRESS",
    "NAME",
    "TIN",
    "DOB",
    "FILING_STATUS",
    "INCOME",
    "EMPLOYER_PAYOR",
    "BANK_ACCOUNT",
    "DEPENDENTS",
    "AUDIT_STATUS",
    "W7_DATA",
)


def _set(path: str, value: Any) -> InputEdit:
    keys = path.split(".")

    def change(i: Input) -> None:
        node = i
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = copy.deepcopy(value)

    return InputEdit(f"{path} = {value!r}", change)


def any_edits(probe_recipient: Input, probe_onward: Input) -> st.SearchStrategy[InputEdit]:
    """Every input edit: the search space of the decision-level properties."""
    return st.one_of(
        match_edits,
        st.sampled_from(ALWAYS_REQUIRED + tuple({e for es in REQUIRED.values() for e in es})).map(
            _drop
        ),
        risks(probe_recipient, probe_onward),
        st.sampled_from(POLICY_BASES).map(lambda b: _set("legal_basis", b)),
        st.sampled_from(CATEGORIES).map(lambda c: _set("purpose.category", c)),
        st.sampled_from(("CRIMINAL", "CIVIL", "MIXED", "UNKNOWN")).map(
            lambda n: _set("purpose.enforcement_nature", n)
        ),
        st.lists(st.sampled_from(FIELDS), min_size=1, unique=True).map(
            lambda f: _set("requested_fields", f)
        ),
        st.booleans().map(lambda b: _set("invokes_irs_dhs_mou", b)),
    )
