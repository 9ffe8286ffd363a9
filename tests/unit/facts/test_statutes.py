"""Statute citations: every spelling of one statute is one canonical citation."""

from __future__ import annotations

import json

import pytest

from gateway.facts.statutes import parse_citation
from tests.conftest import POLICY_DIR


@pytest.mark.parametrize(
    "text",
    [
        "8 U.S.C. 1326",
        "8 USC 1326",
        "8 U.S.C. § 1326",
        "8 u.s.c. §§1326",
        "8 U. S. C. 1326",
        "Title 8, Section 1326",
        "Title 8 U.S.C. 1326",
        "title 8 of the United States Code, section 1326",
        "Section 1326 of Title 8",
        "８ U.S.C. １３２６",
        "8\u00a0U.S.C.\u00a01326",
        "008 U.S.C. 1326",
        "8 United States Code § 1326",
    ],
)
def test_spellings_of_one_statute_share_its_canonical_citation(text: str) -> None:
    fact = parse_citation(text)
    assert fact.citation == "8 U.S.C. 1326"
    assert fact.immigration_title
    assert fact.text == text


def test_subsections_are_kept_and_looked_up_most_specific_first() -> None:
    fact = parse_citation("8 U.S.C. § 1253 (A)(1)")
    assert fact.citation == "8 U.S.C. 1253(a)(1)"
    assert fact.lookup == ["8 U.S.C. 1253(a)(1)", "8 U.S.C. 1253(a)", "8 U.S.C. 1253"]


@pytest.mark.parametrize(
    ("text", "citation"),
    [
        ("INA § 276", "INA 276"),
        ("section 276 of the Immigration and Nationality Act", "INA 276"),
        ("8 CFR 287.7", "8 C.F.R. 287.7"),
    ],
)
def test_the_ina_and_title_8_regulations_are_immigration(text: str, citation: str) -> None:
    fact = parse_citation(text)
    assert (fact.citation, fact.immigration_title) == (citation, True)


@pytest.mark.parametrize(
    ("text", "citation"),
    [
        ("18 USC 2339B", "18 U.S.C. 2339b"),
        ("42 U.S.C. 1320b-13", "42 U.S.C. 1320b-13"),
        ("Cal. Rev. & Tax. Code § 19087", "CAL REV & TAX CODE 19087"),
        ("Md. Code, Crim. Law 6-202", "MD CODE CRIM LAW 6-202"),
    ],
)
def test_other_titles_and_state_codes_are_not_immigration(text: str, citation: str) -> None:
    fact = parse_citation(text)
    assert (fact.citation, fact.immigration_title) == (citation, False)


@pytest.mark.parametrize(
    "text", ["8 U.S.C. 1326 and 1324", "Title VIII", "title 8", "INA", "immigration law"]
)
def test_unparsed_text_naming_title_8_is_still_immigration(text: str) -> None:
    fact = parse_citation(text)
    assert fact.citation is None
    assert fact.lookup == []
    assert fact.immigration_title


@pytest.mark.parametrize("text", ["", "wire fraud", "18 U.S.C.", "section 1343"])
def test_unparsed_text_without_a_title_8_hint_is_unrecognised(text: str) -> None:
    fact = parse_citation(text)
    assert (fact.citation, fact.immigration_title) == (None, False)


def test_every_registry_key_is_a_canonical_citation() -> None:
    """A registry key the parser would never produce could never be found."""
    registry = json.loads((POLICY_DIR / "registry" / "statutes" / "data.json").read_text())
    for key in registry:
        assert parse_citation(key).citation == key


def test_the_fact_carries_what_the_policy_reads() -> None:
    assert parse_citation("18 U.S.C. 2113(a)").as_input() == {
        "text": "18 U.S.C. 2113(a)",
        "citation": "18 U.S.C. 2113(a)",
        "title": 18,
        "code": "U.S.C.",
        "section": "2113",
        "subsections": ["a"],
        "lookup": ["18 U.S.C. 2113(a)", "18 U.S.C. 2113"],
        "immigration_title": False,
    }
