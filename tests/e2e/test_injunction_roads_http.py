"""Every road around the injunction that issue 7 found, tried over real HTTP.

An adversarial agency dresses up a request the gateway would otherwise answer: an
immigration statute spelled another way, DHS named another way (look-alike letters
included), an immigration purpose from a requester that is not DHS, onward sharing to
DHS under another basis, a court order that verifies itself, a key given twice. None
of them may disclose an address, and each must be stopped by the rule that is about
it (named in the answer), not by chance: a control request shows that the same
gateway does disclose the undressed request.

One `gateway serve` answers the module (SQLite, local OPA, keys from `gateway keys init`).
Each road asks about a demo taxpayer of its own where it can, and asserts the rule that
closes it, so that a GW-3b duplicate denial can never be what makes a test pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.auth.keys import KeyStore
from gateway.auth.tokens import mint_token
from gateway.settings import Settings
from tests import scenarios as sc
from tests.e2e.served import gateway_env, served

pytestmark = pytest.mark.e2e

FBI = ("DOJ-FBI", "fbi-director")
BFS = ("TREAS-BFS", "bfs-commissioner")
USMS = ("DOJ-USMS", "usms-director")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return gateway_env(tmp_path_factory.mktemp("e2e-roads-home"))


@pytest.fixture(scope="module")
def url(env: dict[str, str]) -> Iterator[str]:
    with served(env, never_logged=("123-45-6789", "Rivera", "1420 Elm")) as u:
        yield u


def _send(env: dict[str, str], url: str, who: tuple[str, str], content: bytes) -> httpx.Response:
    # Minted with the keys `gateway keys init` made (as `gateway token` does), in-process:
    # one CLI start per request would cost seconds each.
    token = mint_token(
        KeyStore(Path(env["GATEWAY_HOME"]) / "keys"),
        issuer=who[0],
        subject=who[1],
        audience=Settings().audience,
        now=datetime.now(UTC),
        lifetime=timedelta(minutes=5),
    )
    return httpx.post(
        f"{url}/v1/address-lookups",
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )


def _ask(env: dict[str, str], url: str, who: tuple[str, str], body: dict[str, Any]) -> Any:
    resp = _send(env, url, who, json.dumps(body, ensure_ascii=False).encode())
    assert resp.status_code == 200, resp.text
    return resp.json()


def _reasons(answer: dict[str, Any]) -> set[str]:
    return {r["rule"] for r in answer["reasons"]} | {
        r["rule"] for res in answer["results"] for r in res["reasons"]
    }


def _nothing_disclosed(answer: dict[str, Any]) -> None:
    assert answer["outcome"] in {"denied", "pending_review"}, answer
    for result in answer["results"]:
        assert result["outcome"] != "disclosed"
        assert result["address"] is None


def _bfs_m2() -> dict[str, Any]:
    return sc._with(
        sc.about(sc.fbi_i2(), sc.OKAFOR),
        legal_basis="6103(m)(2)",
        purpose=sc._purpose(
            "federal_claim_collection",
            "civil",
            ["31 U.S.C. 3711"],
            "BFS-TOP-2026-55102",
            "Delinquent non-tax debt referred by HUD.",
            claim_reference="31 U.S.C. 3711 claim BFS-TOP-2026-55102",
        ),
        recipients=sc._recipients("TREASURY", [20]),
    )


def test_controls_the_undressed_requests_are_disclosed(env: dict[str, str], url: str) -> None:
    """Without this, every test below could pass on a gateway that discloses nothing."""
    answer = _ask(env, url, FBI, sc.about(sc.fbi_i2(), sc.CHEN))
    assert answer["outcome"] == "allowed", answer
    answer = _ask(env, url, BFS, sc.about(_bfs_m2(), sc.WHITFIELD))
    assert answer["outcome"] == "allowed", answer


@pytest.mark.parametrize(
    ("statute", "rules"),
    [
        ("8 USC 1326", {"INJ-5"}),
        ("8 U.S.C. § 1326", {"INJ-5"}),
        ("８ U.S.C. １３２６", {"INJ-5"}),
        ("Title 8, Section 1324", {"INJ-5"}),
        ("8 U.S.C. 1357", {"INJ-5", "GW-13"}),
        ("INA § 276", {"INJ-5", "GW-13"}),
        ("8 U.S.C. 1326 and 1324", {"INJ-5", "GW-13"}),
    ],
)
def test_an_immigration_statute_spelled_otherwise_discloses_nothing(
    env: dict[str, str], url: str, statute: str, rules: set[str]
) -> None:
    body = sc._with(sc.fbi_i2(), purpose__statutes=[statute])
    answer = _ask(env, url, FBI, body)
    _nothing_disclosed(answer)
    assert rules <= _reasons(answer)


def test_the_removal_order_element_holds_for_any_spelling(env: dict[str, str], url: str) -> None:
    body = sc._with(sc.about(sc.fbi_i2(), sc.OBRIEN), purpose__statutes=["8 usc 1253 (a)(1)"])
    answer = _ask(env, url, FBI, body)
    _nothing_disclosed(answer)
    assert {"INJ-5", "6103-I2-5c"} <= _reasons(answer)


@pytest.mark.parametrize(
    "employer",
    [
        "I.C.E.",
        "D.H.S.",
        "Immigration & Customs Enforcement",
        "U.S. Border Patrol",
        "D\u0397S",  # Greek capital Eta
        "\u0406CE",  # Cyrillic capital I
        "Ｉｍｍｉｇｒａｔｉｏｎ and Customs Enforcement",
        "Baltimore ICE field office",
    ],
)
def test_dhs_named_otherwise_discloses_nothing_under_m2(
    env: dict[str, str], url: str, employer: str
) -> None:
    body = _bfs_m2()
    body["recipients"][0]["employer_agency"] = employer
    answer = _ask(env, url, BFS, body)
    _nothing_disclosed(answer)
    assert "INJ-2" in _reasons(answer)


def test_a_zero_width_space_in_a_name_is_refused_at_the_door(env: dict[str, str], url: str) -> None:
    body = _bfs_m2()
    body["recipients"][0]["employer_agency"] = "I\u200bCE"
    assert _send(env, url, BFS, json.dumps(body).encode()).status_code == 422


def test_dhs_named_otherwise_discloses_nothing_under_i5(env: dict[str, str], url: str) -> None:
    body = sc._usms_i5(sc.fbi_i1())
    body["recipients"][0]["employer_agency"] = "I.C.E."
    answer = _ask(env, url, USMS, body)
    _nothing_disclosed(answer)
    assert _reasons(answer) & {"INJ-2", "INJ-3"}


def test_onward_sharing_to_dhs_under_i5_discloses_nothing(env: dict[str, str], url: str) -> None:
    body = sc._with(sc._usms_i5(sc.fbi_i1()), purpose__onward_sharing_to=["DHS"])
    answer = _ask(env, url, USMS, body)
    _nothing_disclosed(answer)
    assert "6103-I5-3" in _reasons(answer)


@pytest.mark.parametrize("category", ["immigration_criminal", "civil_immigration_enforcement"])
def test_an_immigration_purpose_from_the_fbi_discloses_nothing(
    env: dict[str, str], url: str, category: str
) -> None:
    body = sc._with(sc.fbi_i2(), purpose__category=category)
    answer = _ask(env, url, FBI, body)
    _nothing_disclosed(answer)
    assert _reasons(answer) & {"INJ-1", "INJ-5"}


def test_civil_immigration_enforcement_under_i1_discloses_nothing(
    env: dict[str, str], url: str
) -> None:
    body = sc._with(sc.fbi_i1(), purpose__category="civil_immigration_enforcement")
    answer = _ask(env, url, FBI, body)
    _nothing_disclosed(answer)
    assert {"INJ-1", "6103-I1-10"} <= _reasons(answer)


def test_an_order_cannot_verify_itself(env: dict[str, str], url: str) -> None:
    body = sc.fbi_i1()
    body["court_order"]["verified_with_court"] = True
    assert _send(env, url, FBI, json.dumps(body).encode()).status_code == 422


def test_an_unrecorded_order_is_not_taken_on_the_agencys_word(
    env: dict[str, str], url: str
) -> None:
    answer = _ask(env, url, FBI, sc.fbi_i1())
    _nothing_disclosed(answer)
    assert "6103-I1-1b" in _reasons(answer)


def test_a_key_given_twice_is_refused(env: dict[str, str], url: str) -> None:
    body = sc._with(sc.fbi_i2(), legal_basis="none")
    text = json.dumps(body)
    once = '"legal_basis": "none"'
    twice = text.replace(once, once + ', "legal_basis": "6103(i)(2)"')
    assert twice != text
    assert _send(env, url, FBI, twice.encode()).status_code == 422
