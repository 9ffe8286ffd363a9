"""The invariants, as assertions over what a gateway answered and what OPA decided.

Each function checks one numbered property of issue 7 item 7 on one exchange
(or one policy decision) and fails with a message that says which subject broke
it and how. The strategies decide *when* a property applies (they know what
they wrote); these functions only say what must then be true.
"""

from __future__ import annotations

import math
from typing import Any

from tests.invariants.harness import Exchange
from tests.invariants.world import WIRE_FIELDS

BASIS_RULES = frozenset(
    {
        "6103-I1-OK",
        "6103-I2-OK",
        "6103-I5-1",
        "6103-D-1",
        "6103-M2-1",
        "6103-M4-1",
        "6103-M7-1",
    }
)
"""The rules that release (policies/README.md "How each subject is decided", 3); any rule
id ending in ``-OK`` counts as well, should the policy add one."""

RESULT_KEYS = {"ref", "outcome", "address", "redacted", "reasons"}
ADDRESS_KEYS = {"line1", "line2", "city", "state", "zip", "tax_year"}
ANSWER_KEYS = {
    "decision_id",
    "log_index",
    "policy_revision",
    "decided_at",
    "outcome",
    "reasons",
    "results",
}
RELEASED = {"ALLOW", "ALLOW_WITH_REDACTION"}


def is_basis_rule(rule: str) -> bool:
    return rule in BASIS_RULES or rule.endswith("-OK")


def disclosed(answer: dict[str, Any]) -> list[str]:
    """Refs of the subjects the answer released an address for (or calls disclosed)."""
    return [
        r["ref"]
        for r in answer["results"]
        if r["outcome"] == "disclosed" or r.get("address") is not None
    ]


# (1) -------------------------------------------------------------------------------


def assert_nothing_disclosed(ex: Exchange, why: str) -> None:
    """Property (1): no subject disclosed, no address anywhere in the answer."""
    released = disclosed(ex.answer)
    assert not released, (
        f"disclosed {released} although {why} while the injunctions are in force; "
        f"answer outcome {ex.answer['outcome']}, rules {sorted(_answer_rules(ex.answer))}"
    )
    assert ex.answer["outcome"] not in {"allowed", "partially_allowed"}


def assert_injunction_named(ex: Exchange) -> None:
    """With a spelling the policy documents, the injunction itself is a reason (an INJ rule).

    Any denial keeps the address in, but the agency must be told that the court
    order is why, and the log must show which order applied: a request refused only
    for, say, a missing element would come back once that element is added.
    """
    rules = decision_rules(ex.decision)
    assert any(r.startswith("INJ-") and r != "INJ-6" for r in rules), (
        f"no injunction rule names the reason; rules {sorted(rules)}"
    )


def decision_rules(decision: dict[str, Any]) -> set[str]:
    """Every rule id of a policy decision, request-level and per subject."""
    rules = {f["rule"] for f in decision["reasons"]}
    for subject in decision["subjects"]:
        rules |= {f["rule"] for f in subject["findings"]}
    return rules


def _answer_rules(answer: dict[str, Any]) -> set[str]:
    rules = {r["rule"] for r in answer["reasons"]}
    for result in answer["results"]:
        rules |= {r["rule"] for r in result["reasons"]}
    return rules


# (2) -------------------------------------------------------------------------------


def assert_only_the_last_known_address(ex: Exchange) -> None:
    """Property (2): the answer holds at most the taxpayer's last known mailing address.

    No other key in the answer or a result, every requested field other than the
    address listed as withheld, the address exactly the one on file for the last
    known tax year, and none of the taxpayer's other facts (TIN, date of birth)
    anywhere in the answer.
    """
    answer, body = ex.answer, ex.draft.body
    assert set(answer) == ANSWER_KEYS, f"unexpected answer keys {set(answer) ^ ANSWER_KEYS}"
    requested = list(body.get("fields", ["last_known_address"]))
    home = ex.draft.taxpayer.home
    for result in answer["results"]:
        assert set(result) == RESULT_KEYS, f"unexpected result keys {set(result) ^ RESULT_KEYS}"
        assert set(result["redacted"]) <= set(WIRE_FIELDS)
        assert set(requested) - {"last_known_address"} <= set(result["redacted"]), (
            f"requested {requested}, withheld only {result['redacted']}"
        )
        address = result["address"]
        if address is None:
            assert result["outcome"] != "disclosed"
            continue
        assert result["outcome"] == "disclosed"
        assert "last_known_address" in requested
        assert "last_known_address" not in result["redacted"]
        assert set(address) == ADDRESS_KEYS, f"released more than a mailing address: {address}"
        on_file = {
            "line1": home.line1,
            "line2": home.line2,
            "city": home.city,
            "state": home.state,
            "zip": home.zip,
            "tax_year": home.tax_year,
        }
        assert address == on_file, f"released {address}, last known address on file {on_file}"
    text = str(answer)
    person = ex.draft.taxpayer
    for secret in (
        person.person.tin,
        person.person.tin.replace("-", ""),
        person.date_of_birth.isoformat(),
    ):
        assert secret not in text, "a taxpayer fact other than the address is in the answer"


# (3) -------------------------------------------------------------------------------


def assert_decided_by_rules(ex: Exchange) -> None:
    """Property (3): disclosed ⇒ a basis rule and no DENY rule; denied ⇒ a DENY rule.

    Read from the policy decision for the logged input (findings with outcomes) and
    checked against the log leaf, which must name the same rules.
    """
    decision = ex.decision
    request_denies = {f["rule"] for f in decision["reasons"] if f["outcome"] == "DENY"}
    leaf_request_rules = set(ex.record["rules"])
    assert leaf_request_rules == {f["rule"] for f in decision["reasons"]}
    for result, subject, logged in zip(
        ex.answer["results"], decision["subjects"], ex.record["subjects"], strict=True
    ):
        findings = subject["findings"]
        denies = request_denies | {f["rule"] for f in findings if f["outcome"] == "DENY"}
        bases = {f["rule"] for f in findings if is_basis_rule(f["rule"])}
        assert set(logged["rules"]) == {f["rule"] for f in findings}
        if result["outcome"] == "disclosed":
            assert bases, f"{result['ref']} disclosed without a basis rule: {findings}"
            assert bases <= set(logged["rules"])
            assert not denies, f"{result['ref']} disclosed although {sorted(denies)} deny"
            assert subject["outcome"] in RELEASED
        if result["outcome"] == "denied":
            # Denied by a DENY rule; or the request as a whole is denied (a request-level
            # DENY is final for every subject); or released by the policy with no address
            # on file, so that nothing could leave.
            nothing_on_file = subject["outcome"] in RELEASED and subject["release_tax_year"] is None
            assert denies or decision["outcome"] == "DENY" or nothing_on_file, (
                f"{result['ref']} denied without a DENY rule: {findings}"
            )
    assert_decision_rules(decision)


def assert_decision_rules(decision: dict[str, Any]) -> None:
    """Property (3) on a bare policy decision: released ⇒ basis and no DENY; DENY ⇒ a DENY rule."""
    request_denies = {f["rule"] for f in decision["reasons"] if f["outcome"] == "DENY"}
    for subject in decision["subjects"]:
        findings = subject["findings"]
        denies = request_denies | {f["rule"] for f in findings if f["outcome"] == "DENY"}
        if subject["outcome"] in RELEASED:
            assert any(is_basis_rule(f["rule"]) and f["outcome"] == "ALLOW" for f in findings), (
                f"{subject['ref']} released without a basis rule: {findings}"
            )
            assert not denies, f"{subject['ref']} released although {sorted(denies)} deny"
        if subject["outcome"] == "DENY":
            assert denies, f"{subject['ref']} denied without a DENY rule: {findings}"


# (4) -------------------------------------------------------------------------------


def weak_match(taxpayer: Any, name_score_floor: float) -> str | None:
    """Why the match facts of one policy-input taxpayer are weak, or None if they are not.

    Weak: no candidate, a name score below the floor, a supplied TIN or date of
    birth the datastore did not confirm; and, failing closed, facts that are
    absent, null, of the wrong type, out of range or contradictory.
    """
    if not isinstance(taxpayer, dict):
        return "taxpayer entry is not an object"
    match = taxpayer.get("match")
    if not isinstance(match, dict):
        return "match facts absent"
    candidates, score = match.get("candidates"), match.get("name_score")
    if not (isinstance(candidates, int | float) and _number(candidates)) or (
        candidates != int(candidates) or candidates < 1
    ):
        return f"candidates {candidates!r}"
    if not (isinstance(score, int | float) and _number(score)) or not (
        name_score_floor <= score <= 1
    ):
        return f"name_score {score!r}"
    supplied = taxpayer.get("supplied")
    supplied = supplied if isinstance(supplied, dict) else {}
    if _filled(supplied.get("tin")) and match.get("tin_match") is not True:
        return f"TIN supplied, tin_match {match.get('tin_match')!r}"
    if _filled(supplied.get("dob")) and match.get("dob_match") is not True:
        return f"date of birth supplied, dob_match {match.get('dob_match')!r}"
    return None


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _filled(x: Any) -> bool:
    return isinstance(x, str) and x.strip() != ""


def assert_weak_match_not_released(
    policy_input: dict[str, Any], decision: dict[str, Any], floor: float
) -> None:
    """Property (4) on a decision: no subject with weak match facts is released."""
    taxpayers = policy_input.get("taxpayers")
    if not isinstance(taxpayers, list):
        return
    for t, subject in zip(taxpayers, decision["subjects"], strict=False):
        why = weak_match(t, floor)
        if why is not None:
            assert subject["outcome"] not in RELEASED, (
                f"{subject['ref']} released on a weak match ({why}): {subject['findings']}"
            )


def released_refs(decision: dict[str, Any]) -> list[Any]:
    return [s["ref"] for s in decision["subjects"] if s["outcome"] in RELEASED]
