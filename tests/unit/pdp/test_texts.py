"""The gateway's own legal texts are taken from the rule catalogue, or the policy is refused."""

from __future__ import annotations

import pytest

from gateway.pdp.catalog import RuleMetadata
from gateway.pdp.texts import PolicyTextsMissingError, texts_from_catalog


def _meta(rule: str, **changes: str | None) -> RuleMetadata:
    values: dict[str, str | None] = {
        "title": f"title of {rule}",
        "citation": f"citation of {rule}",
        "message": f"message of {rule}",
        "outcome": "OBLIGATION",
    }
    values.update(changes)
    return RuleMetadata(rule=rule, **values)


def _catalog() -> dict[str, RuleMetadata]:
    return {r: _meta(r) for r in ("GW-11", "REVIEW-APPROVED", "COURT_NOTICE")}


def test_each_text_is_the_metadata_of_its_rule() -> None:
    texts = texts_from_catalog(_catalog())
    assert (texts.uniform_denial.rule, texts.uniform_denial.citation) == (
        "GW-11",
        "citation of GW-11",
    )
    assert texts.uniform_denial.message == "message of GW-11"
    assert texts.review_approved.message == "message of REVIEW-APPROVED"
    assert texts.court_notice == "message of COURT_NOTICE"


@pytest.mark.parametrize("rule", ["GW-11", "REVIEW-APPROVED", "COURT_NOTICE"])
def test_a_policy_without_one_of_the_rules_is_refused(rule: str) -> None:
    rules = _catalog()
    del rules[rule]
    with pytest.raises(PolicyTextsMissingError, match=rule):
        texts_from_catalog(rules)


@pytest.mark.parametrize("missing", ["citation", "message"])
def test_a_rule_without_a_citation_or_message_is_refused(missing: str) -> None:
    rules = _catalog()
    rules["GW-11"] = _meta("GW-11", **{missing: None})
    with pytest.raises(PolicyTextsMissingError, match="GW-11"):
        texts_from_catalog(rules)


def test_a_rule_with_an_unknown_outcome_is_refused() -> None:
    rules = _catalog()
    rules["REVIEW-APPROVED"] = _meta("REVIEW-APPROVED", outcome="MAYBE")
    with pytest.raises(PolicyTextsMissingError, match="REVIEW-APPROVED"):
        texts_from_catalog(rules)
