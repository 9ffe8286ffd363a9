"""S01–S34 of POLICY_MODEL.md §4.2 and adversarial look-alikes, over real HTTP.

As a user would run it: `gateway keys init` and `gateway store import` prepare
the home, one `gateway serve` answers the whole module, and every token comes
from `gateway token`. The gateway decides at its own clock, so the bodies
(``tests/scenarios.py``) carry dates relative to now.

Rules decided on datastore facts (6103-I2-10/10b, GW-10, 6103-I1-5/-6 from the
record) never reach the agency; for those the test reads the decision-log leaf
the answer names, straight from the gateway's store.

Every request here goes to the same gateway, and GW-3b denies the same ask, or
a second release of the same taxpayer and periods, from the same agency within
24 hours. Scenarios that release or go to review therefore each ask about their
own demo taxpayer (``tests.scenarios.about``). A denied scenario that asks about
the F-FBI-I2 taxpayer after S06 released that address also carries GW-3b; the
tests assert the rules the scenario is about, which it must name as well.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from gateway.audit.log import DecisionLog
from gateway.auth.keys import KeyStore
from gateway.store.db import make_engine
from tests import scenarios as sc
from tests.e2e.served import GATEWAY, cli, gateway_env, served
from tests.support import forged_agency_token, official_for

pytestmark = pytest.mark.e2e

AUDIENCE = "taxpayer-gateway"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return gateway_env(tmp_path_factory.mktemp("e2e-scenarios-home"))


@pytest.fixture(scope="module")
def gateway_url(env: dict[str, str]) -> Iterator[str]:
    secrets = ("123-45-6789", "Rivera", "1420 Elm", "Raman", "Gonzalez")
    with served(env, never_logged=secrets) as url:
        yield url


@pytest.fixture(scope="module")
def decision_log(env: dict[str, str], gateway_url: str) -> Iterator[DecisionLog]:
    """The served gateway's decision log, read from its own store (SQLite under its home)."""
    engine = make_engine(f"sqlite:///{Path(env['GATEWAY_HOME']).resolve() / 'gateway.db'}")
    try:
        yield DecisionLog(engine)
    finally:
        engine.dispose()


def _token(env: dict[str, str], agency: str, official: str) -> str:
    return cli(env, "token", "--agency", agency, "--official", official).strip()


def _post(url: str, body: dict[str, Any], token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/address-lookups",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _ask(
    env: dict[str, str],
    url: str,
    body: dict[str, Any],
    agency: str = "DOJ-FBI",
    official: str = "fbi-director",
) -> dict[str, Any]:
    resp = _post(url, body, _token(env, agency, official))
    assert resp.status_code == 200, resp.text
    answer: dict[str, Any] = resp.json()
    return answer


def _record_order(env: dict[str, str], url: str, order: dict[str, Any]) -> None:
    """A court liaison records the order the request cites, from the docket, with the CLI."""
    path = Path(env["GATEWAY_HOME"]) / f"order-{uuid.uuid4()}.json"
    path.write_text(json.dumps(sc.order_record(order)), encoding="utf-8")
    out = cli(env, "court-orders", "record", "--file", str(path), "--url", url)
    assert out.startswith("recorded court order "), out


def _record(log: DecisionLog, answer: dict[str, Any]) -> dict[str, Any]:
    entry = log.entries(answer["log_index"], answer["log_index"] + 1)[0]
    record: dict[str, Any] = json.loads(entry.body)
    assert record["decision_id"] == answer["decision_id"]
    return record


def _logged_rules(record: dict[str, Any]) -> set[str]:
    rules = set(record["rules"])
    for subject in record["subjects"]:
        rules |= set(subject["rules"])
    return rules


def _only_the_address_leaves(answer: dict[str, Any]) -> None:
    for result in answer["results"]:
        if result["outcome"] == "disclosed":
            assert result["address"] is not None
        else:
            assert result["address"] is None
            assert "last_known_address" in result["redacted"]


def _scenario_params() -> list[Any]:
    return [
        pytest.param(
            s,
            id=s.says,
            marks=[pytest.mark.xfail(strict=True, reason=s.known_gap)] if s.known_gap else [],
        )
        for s in sc.scenarios()
    ]


@pytest.mark.parametrize("scenario", _scenario_params())
def test_scenario_over_http(
    env: dict[str, str], gateway_url: str, decision_log: DecisionLog, scenario: sc.Scenario
) -> None:
    official = scenario.official or official_for(scenario.agency, scenario.role)
    if scenario.delivery == "forged_token":
        # S19 (`signature_valid` false) cannot reach the policy over HTTP: a token whose
        # signature does not verify is refused with 401 before anything is looked up or
        # decided (API.md "Identity"), so GW-2 is only reachable in `opa test`. What HTTP
        # can show is the refusal, and that no decision was logged.
        size = decision_log.size()
        resp = _post(
            gateway_url, scenario.body, forged_agency_token(scenario.agency, official, AUDIENCE)
        )
        assert resp.status_code == 401
        assert resp.headers["content-type"] == "application/problem+json"
        assert decision_log.size() == size
        return
    if scenario.body.get("court_order"):
        _record_order(env, gateway_url, scenario.body["court_order"])
    answer = _ask(env, gateway_url, scenario.body, scenario.agency, official)
    if scenario.delivery == "twice":
        # S18: the same request_id again under a fresh token (a replayed token is a 401);
        # the policy sees request_id_seen and the second answer is the one that counts.
        first_outcome = answer["outcome"]
        answer = _ask(env, gateway_url, scenario.body, scenario.agency, official)
        assert first_outcome == "allowed"
    sc.assert_decided_as(scenario, answer, _record(decision_log, answer))


# Adversarial look-alikes (STYLE.md example 10): each differs from something valid by a
# detail that must not matter to a person but must matter to the gateway.


def test_token_for_an_agency_id_with_a_suffix_is_refused(
    env: dict[str, str], gateway_url: str, decision_log: DecisionLog
) -> None:
    """ "DOJ-FBI-X" is not registered, even when signed with DOJ-FBI's own key."""
    keys = KeyStore(Path(env["GATEWAY_HOME"]) / "keys")
    now = datetime.now(UTC)
    claims = {
        "iss": "DOJ-FBI-X",
        "sub": "fbi-director",
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": f"suffix-{now.timestamp()}",
    }
    token = jwt.encode(claims, keys.private_key("DOJ-FBI"), algorithm="EdDSA")
    size = decision_log.size()
    resp = _post(gateway_url, sc.fbi_i2(), token)
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    assert decision_log.size() == size
    refused = subprocess.run(
        [GATEWAY, "token", "--agency", "DOJ-FBI-X", "--official", "fbi-director"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode != 0
    assert refused.stdout == ""


def test_purpose_in_upper_case_is_a_422_and_decides_nothing(
    env: dict[str, str], gateway_url: str, decision_log: DecisionLog
) -> None:
    body = sc.fbi_i2()
    body["purpose"]["category"] = "NONTAX_CRIMINAL"
    size = decision_log.size()
    resp = _post(gateway_url, body, _token(env, "DOJ-FBI", "fbi-director"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert any("category" in e["loc"] for e in resp.json()["errors"])
    assert decision_log.size() == size


def test_legal_basis_in_another_case_is_no_basis(env: dict[str, str], gateway_url: str) -> None:
    body = sc.fbi_i2()
    body["legal_basis"] = "6103(I)(2)"
    answer = _ask(env, gateway_url, body)
    assert answer["outcome"] == "denied"
    assert "GW-5" in sc.rule_ids(answer)
    _only_the_address_leaves(answer)


@pytest.mark.parametrize(
    "address",
    [
        pytest.param(
            {"line1": "N/A", "line2": None, "city": "N/A", "state": "N/A", "zip": "12345"},
            id="n_a_everywhere",
        ),
        pytest.param(
            {"line1": "n/a", "line2": None, "city": "Baltimore", "state": "MD", "zip": "21201"},
            id="n_a_street_real_city",
        ),
        pytest.param(
            {
                "line1": "Don't Care",
                "line2": None,
                "city": "Don't Care",
                "state": "MD",
                "zip": "12345",
            },
            id="dont_care_12345",
        ),
        pytest.param(
            {
                "line1": "DON\u2019T CARE",
                "line2": None,
                "city": "Baltimore",
                "state": "MD",
                "zip": "12345",
            },
            id="dont_care_curly_apostrophe",
        ),
        pytest.param(
            {"line1": "", "line2": None, "city": "", "state": "", "zip": "21201"},
            id="zip_only",
        ),
    ],
)
def test_placeholder_address_is_not_an_address(
    env: dict[str, str], gateway_url: str, address: dict[str, Any]
) -> None:
    body = sc.fbi_i2()
    body["subjects"][0]["address"] = address
    answer = _ask(env, gateway_url, body)
    assert answer["outcome"] == "denied"
    assert {"6103-I2-3", "GW-11"} <= {r["rule"] for r in answer["results"][0]["reasons"]}
    _only_the_address_leaves(answer)


def test_order_that_expired_a_second_before_the_decision_is_denied(
    env: dict[str, str], gateway_url: str
) -> None:
    # The gateway's clock decides; an expiry one second before the body is built is at
    # least one second before the decision.
    body = sc.fbi_i1()
    body["court_order"]["expires_at"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    _record_order(env, gateway_url, body["court_order"])
    answer = _ask(env, gateway_url, body)
    assert answer["outcome"] == "denied"
    assert "6103-I1-4" in [r["rule"] for r in answer["reasons"]]
    _only_the_address_leaves(answer)


def test_order_that_expires_a_minute_after_the_decision_releases_the_address(
    env: dict[str, str], gateway_url: str
) -> None:
    body = sc.about(sc.fbi_i1(), sc.NUNEZ)
    body["court_order"]["expires_at"] = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    _record_order(env, gateway_url, body["court_order"])
    answer = _ask(env, gateway_url, body)
    assert answer["outcome"] == "allowed"
    assert answer["reasons"] == []
    assert answer["results"][0]["address"]["tax_year"] == 2024


@pytest.mark.parametrize("second_tin", ["123-45-6789", "123456789"], ids=["same", "undashed"])
def test_subject_listed_twice_denies_the_whole_request(
    env: dict[str, str], gateway_url: str, second_tin: str
) -> None:
    """GW-1 (policies/README.md): the same TIN digits twice under different refs is a
    malformed request, not two chances at one address."""
    body = sc.fbi_i2()
    twice = dict(body["subjects"][0], ref="TP-1-again", tin=second_tin)
    body["subjects"].append(twice)
    answer = _ask(env, gateway_url, body)
    assert answer["outcome"] == "denied"
    assert "GW-1" in [r["rule"] for r in answer["reasons"]]
    assert [r["outcome"] for r in answer["results"]] == ["denied", "denied"]
    _only_the_address_leaves(answer)


def _after_results(resp: httpx.Response) -> bytes:
    """The response bytes from ``"results"`` on: everything per subject, nothing per decision."""
    content = resp.content
    return content[content.index(b'"results":') :]


@pytest.mark.parametrize(
    ("known", "hidden_rule"),
    [
        pytest.param(
            {
                "tin": "123-45-4004",
                "name": {"first": "Priya", "middle": "N", "last": "Raman"},
                "address": {
                    "line1": "9 Lark Song Ct",
                    "line2": None,
                    "city": "Columbia",
                    "state": "MD",
                    "zip": "21044",
                },
            },
            "GW-10",
            id="confidential_informant",
        ),
        pytest.param(
            {
                "tin": "123-45-5005",
                "name": {"first": "Daniel", "middle": "T", "last": "Brooks"},
                "address": {
                    "line1": "14 Prince George St",
                    "line2": None,
                    "city": "Annapolis",
                    "state": "MD",
                    "zip": "21401",
                },
            },
            "GW-10",
            id="tax_investigation_impairment",
        ),
        pytest.param(
            {"tin": "123-45-9999", "name": {"first": "Jordan", "middle": "A", "last": "Rivera"}},
            "6103-I2-10",
            id="tin_does_not_match",
        ),
    ],
)
def test_person_not_in_the_datastore_gets_the_same_bytes_as_a_denied_taxpayer(
    env: dict[str, str],
    gateway_url: str,
    decision_log: DecisionLog,
    known: dict[str, Any],
    hidden_rule: str,
) -> None:
    """GW-11: a valid request for a flagged or mismatched taxpayer and one for nobody at
    all read the same, byte for byte; only the log says which rule decided."""
    reason = f"Witness to the 12 Jan 2026 robbery ({hidden_rule}, {known['tin']})."
    asked = sc.fbi_i2()
    asked["subjects"][0].update(known, specific_reason=reason)
    nobody = sc.fbi_i2()
    nobody["subjects"][0].update(
        tin="987-65-4320",
        name={"first": "Nobody", "middle": None, "last": "Atall"},
        address={
            "line1": "1 Nowhere Rd",
            "line2": None,
            "city": "Dundalk",
            "state": "MD",
            "zip": "21222",
        },
        specific_reason=reason,
    )
    a = _post(gateway_url, asked, _token(env, "DOJ-FBI", "fbi-director"))
    b = _post(gateway_url, nobody, _token(env, "DOJ-FBI", "fbi-director"))
    assert a.status_code == b.status_code == 200
    assert a.json()["outcome"] == b.json()["outcome"] == "denied"
    assert _after_results(a) == _after_results(b)
    assert hidden_rule in _logged_rules(_record(decision_log, a.json()))
    assert "6103-I2-10" in _logged_rules(_record(decision_log, b.json()))


def test_shared_household_name_lookup_goes_to_review_without_an_address(
    env: dict[str, str], gateway_url: str, decision_log: DecisionLog
) -> None:
    """TP-2002 and TP-7007 share a surname and an address: a lookup by name alone has two
    candidates (6103-I2-10b), so a person decides, and the agency is not told why."""
    body = sc.fbi_i2()
    body["subjects"][0].update(
        tin=None,
        name={"first": "Maria", "middle": "L", "last": "Gonzalez"},
        address={
            "line1": "310 Bayard St",
            "line2": "Unit 5",
            "city": "Hyattsville",
            "state": "MD",
            "zip": "20781",
        },
        specific_reason="Co-signer on the lease of the stash apartment used in the robbery.",
    )
    answer = _ask(env, gateway_url, body)
    assert answer["outcome"] == "pending_review"
    assert answer["results"][0]["reasons"] == []
    _only_the_address_leaves(answer)
    assert "6103-I2-10b" in _logged_rules(_record(decision_log, answer))


def test_orders_are_recorded_by_court_staff_only_and_listed_without_tins(
    env: dict[str, str], gateway_url: str
) -> None:
    """`gateway token --role court_liaison` may record; an auditor and an agency may not;
    `gateway court-orders list` shows the registry, counting TINs instead of printing them."""
    order = sc.order_record(sc.about(sc.fbi_i1(), sc.CHEN)["court_order"])

    def post(token: str) -> httpx.Response:
        return httpx.post(
            f"{gateway_url}/v1/court-orders",
            json=order,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    assert post(cli(env, "token", "--role", "auditor").strip()).status_code == 403
    assert post(_token(env, "DOJ-FBI", "fbi-director")).status_code == 403
    created = post(cli(env, "token", "--role", "court_liaison").strip())
    assert created.status_code == 201, created.text
    listed = cli(env, "court-orders", "list", "--url", gateway_url)
    assert created.json()["id"] in listed
    assert order["docket_number"] in listed
    assert sc.CHEN.tin not in listed
