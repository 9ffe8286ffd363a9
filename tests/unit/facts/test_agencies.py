"""Agency names: resolved against the live registry whatever their spelling."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.auth.registry import load_policy_data
from gateway.facts.agencies import AgencyResolver, AliasCollisionError, Entity
from gateway.facts.text import key, words
from tests.conftest import POLICY_DIR


@pytest.fixture(scope="module")
def resolver() -> AgencyResolver:
    return AgencyResolver.from_policy_data(load_policy_data(POLICY_DIR))


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("DHS", Entity("DEPARTMENT", "DHS")),
        ("D.H.S.", Entity("DEPARTMENT", "DHS")),
        ("D\u0397S", Entity("DEPARTMENT", "DHS")),  # Greek capital Eta
        ("Dept. of Homeland Security", Entity("DEPARTMENT", "DHS")),
        ("ICE", Entity("AGENCY", "DHS-ICE-HQ")),
        ("I.C.E.", Entity("AGENCY", "DHS-ICE-HQ")),
        ("ice", Entity("AGENCY", "DHS-ICE-HQ")),
        ("\u0406CE", Entity("AGENCY", "DHS-ICE-HQ")),  # Cyrillic I
        ("I\u200bCE", Entity("AGENCY", "DHS-ICE-HQ")),  # zero-width space
        ("ＩＣＥ", Entity("AGENCY", "DHS-ICE-HQ")),  # fullwidth
        ("Immigration & Customs Enforcement", Entity("AGENCY", "DHS-ICE-HQ")),
        ("U.S. Immigration and Customs Enforcement", Entity("AGENCY", "DHS-ICE-HQ")),
        ("ICE ERO", Entity("AGENCY", "DHS-ICE")),
        ("HSI", Entity("AGENCY", "DHS-ICE-HSI")),
        ("U.S. Border Patrol", Entity("AGENCY", "DHS-CBP")),
        ("USCIS", Entity("AGENCY", "DHS-USCIS")),
        ("FEMA", Entity("AGENCY", "DHS-FEMA")),
        ("DHS Inspector General", Entity("AGENCY", "DHS-OIG")),
        ("DHS CIO", Entity("AGENCY", "DHS-OCIO")),
        ("The FBI", Entity("AGENCY", "DOJ-FBI")),
        ("Federal Bureau of lnvestigation", Entity("AGENCY", "DOJ-FBI")),
        ("DOJ", Entity("DEPARTMENT", "DOJ")),
        ("STATE_TAX", Entity("DEPARTMENT", "STATE_TAX")),
        ("ED", Entity("AGENCY", "ED")),
    ],
)
def test_names_resolve_whatever_their_spelling(
    resolver: AgencyResolver, text: str, entity: Entity
) -> None:
    fact = resolver.resolve(text)
    assert fact.resolved == entity
    assert entity in fact.mentions


@pytest.mark.parametrize(
    ("text", "mentioned"),
    [
        ("DHS/ICE joint task force", {"DHS", "DHS-ICE-HQ"}),
        ("Baltimore ICE field office", {"DHS-ICE-HQ"}),
        ("Secret Service agent", {"DHS-USSS"}),
    ],
)
def test_a_name_that_does_not_resolve_still_mentions_dhs(
    resolver: AgencyResolver, text: str, mentioned: set[str]
) -> None:
    fact = resolver.resolve(text)
    assert fact.resolved is None
    assert mentioned <= {e.id for e in fact.mentions}


@pytest.mark.parametrize("text", ["NICE County Police", "Price Office", "Acme Corp", ""])
def test_unknown_names_resolve_to_nothing(resolver: AgencyResolver, text: str) -> None:
    fact = resolver.resolve(text)
    assert fact.resolved is None
    assert fact.mentions == ()


def test_every_dhs_component_of_the_registry_is_dhs() -> None:
    data = load_policy_data(POLICY_DIR)
    agencies: dict[str, Any] = data["registry"]["agencies"]
    components = {v["component"] for v in agencies.values() if v["is_dhs"]}
    assert {"ICE", "ICE_ERO", "ICE_HSI", "CBP", "USCIS", "FEMA", "DHS_OIG", "DHS_OCIO"} <= (
        components
    )
    assert agencies["DHS-ICE-HQ"]["component"] == "ICE"
    assert data["registry"]["officials"]["ice-director"]["agency"] == "DHS-ICE-HQ"


def test_two_entries_with_one_name_are_refused() -> None:
    data = {
        "registry": {
            "departments": {},
            "agencies": {
                "A": {"name": "Alpha Agency", "aliases": ["ICE"]},
                "B": {"name": "Beta Agency", "aliases": ["I.C.E."]},
            },
        }
    }
    with pytest.raises(AliasCollisionError, match="same key"):
        AgencyResolver.from_policy_data(data)


def test_keys_ignore_case_spacing_punctuation_and_look_alikes() -> None:
    assert key("Ｈomeland  Security") == key("HOMELAND-SECURITY") == key("homeland security")
    assert words("Immigration & Customs") == words("immigration and customs")
    assert key("") == ""
