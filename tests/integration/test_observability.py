"""What an operator sees: /metrics after real lookups, request ids, log lines, checkpoint readiness.

Everything runs through the whole app on the real OPA and both databases; the
numbers asserted are differences between two scrapes around the requests made.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway import metrics
from gateway.errors import PolicyEngineUnavailableError
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import free_loopback_port
from gateway.settings import Settings
from tests import scenarios as sc
from tests.conftest import POLICY_DIR
from tests.integration.test_opa_supervision import opa_children
from tests.support import Tokens, make_settings, prepare_home, running_gateway

METRICS_TOKEN = "scraper-token-for-tests"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, opa_binary: Path) -> Settings:
    token_file = tmp_path / "metrics.token"
    token_file.write_text(METRICS_TOKEN + "\n")
    s = make_settings(
        tmp_path / "home",
        database_url,
        opa_binary,
        metrics_enabled=True,
        metrics_token_file=token_file,
        log_format="json",
        readiness_checkpoint_max_age_seconds=0.5,
    )
    prepare_home(s)
    return s


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def lookup(client: TestClient, tokens: Tokens, body: dict[str, Any], **headers: str) -> Any:
    auth = tokens.agency("DHS-ICE-HSI", "COMPONENT_HEAD")
    resp = client.post("/v1/address-lookups", json=body, headers={**auth, **headers})
    assert resp.status_code == 200, resp.text
    return resp


def test_metrics_count_decisions_by_agency_outcome_and_rule(settings: Settings) -> None:
    tokens = Tokens(settings)
    with running_gateway(settings) as client:
        before = scrape(client)
        answer = lookup(client, tokens, sc.ice_1253()).json()
        after = scrape(client)

    rules = sc.rule_ids(answer)
    assert rules, "the ICE request must fire rules for this test to say anything"
    ice = "DHS-ICE-HSI"
    outcome = answer["outcome"]
    assert moved(before, after, "gateway_decisions_total", agency=ice, outcome=outcome) == 1
    for rule in rules:
        assert moved(before, after, "gateway_rule_firings_total", agency=ice, rule=rule) >= 1
    assert moved(before, after, "gateway_opa_decision_seconds_count") == 1
    assert moved(before, after, "gateway_log_commit_seconds_count") >= 1
    assert moved(before, after, "gateway_log_batch_leaves_sum") >= 1
    route = "/v1/address-lookups"
    assert (
        moved(
            before, after, "gateway_http_requests_total", method="POST", route=route, status="200"
        )
        == 1
    )
    # state read from the database at the scrape
    assert after[("gateway_state_read_ok", ())] == 1
    assert after[("gateway_log_leaves", ())] >= answer["log_index"] + 1
    assert ("gateway_checkpoint_age_seconds", ()) in after
    # no label value is personal data: no TIN, no name from the request
    body = sc.ice_1253()
    personal = {s["tin"] for s in body["subjects"]} | {s["name"]["last"] for s in body["subjects"]}
    values = {v for _name, labels in after for _k, v in labels}
    assert not personal & values


def test_review_backlog_counts_pending_subjects_per_agency(settings: Settings) -> None:
    tokens = Tokens(settings)
    with running_gateway(settings) as client:
        before = scrape(client)
        # An acting FBI Director signs: 6103-I2-2 sends each request to human review.
        answers = [
            client.post(
                "/v1/address-lookups",
                json=sc.fbi_i2(),
                headers=tokens.agency_official("DOJ-FBI", "fbi-acting-director"),
            ).json()
            for _ in range(2)
        ]
        after = scrape(client)
    pending = sum(r["outcome"] == "pending_review" for a in answers for r in a["results"])
    assert pending, "the FBI request must send a subject to review for this test to say anything"
    assert moved(before, after, "gateway_review_backlog", agency="DOJ-FBI") == pending


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_metrics_need_the_scrapers_bearer_token(settings: Settings) -> None:
    with running_gateway(settings) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        assert wrong.headers["content-type"] == "application/problem+json"
        assert client.get("/metrics", headers={"Authorization": METRICS_TOKEN}).status_code == 401
        right = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert right.status_code == 200
        assert "gateway_decisions_total" in right.text or "gateway_decisions" in right.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_metrics_are_not_served_unless_enabled(settings: Settings) -> None:
    off = settings.model_copy(update={"metrics_enabled": False})
    with running_gateway(off) as client:
        resp = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert resp.status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "given",
    [
        "x" * 65,  # too long
        "has space",
        "semi;colon",
        "new\tline",
        "123-45-6789",  # TIN-shaped: never logged
        "123456789",
        "",
    ],
)
def test_a_malformed_request_id_is_replaced(settings: Settings, given: str) -> None:
    with running_gateway(settings) as client:
        resp = client.get("/healthz", headers={"X-Request-ID": given})
        returned = resp.headers["x-request-id"]
        assert returned != given
        assert len(returned) == 36  # a fresh UUID


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_well_formed_request_id_is_kept_and_returned(settings: Settings) -> None:
    with running_gateway(settings) as client:
        resp = client.get("/healthz", headers={"X-Request-ID": "agency-trace_01.A"})
        assert resp.headers["x-request-id"] == "agency-trace_01.A"
        problem = client.get("/v1/policy", headers={"X-Request-ID": "trace-401"})
        assert problem.status_code == 401
        assert problem.headers["x-request-id"] == "trace-401"
        fresh = client.get("/healthz")
        assert fresh.headers["x-request-id"] != client.get("/healthz").headers["x-request-id"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_logs_carry_request_agency_and_decision_ids_and_no_tin(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = Tokens(settings)
    body = sc.ice_1253()
    with running_gateway(settings) as client:
        capsys.readouterr()
        answer = lookup(client, tokens, body, **{"X-Request-ID": "trace-ice-1"}).json()
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    completed = [
        line
        for line in lines
        if line.get("event") == "request.completed" and line.get("request_id") == "trace-ice-1"
    ]
    assert len(completed) == 1
    assert completed[0]["agency_id"] == "DHS-ICE-HSI"
    assert completed[0]["decision_id"] == answer["decision_id"]
    for subject in body["subjects"]:
        assert subject["tin"] not in err
        assert subject["tin"].replace("-", "") not in err


def test_readyz_fails_while_leaves_wait_for_a_stale_checkpoint(settings: Settings) -> None:
    tokens = Tokens(settings)
    with running_gateway(settings) as client:
        svc = client.app.state.services  # type: ignore[attr-defined]
        assert client.get("/readyz").status_code == 200
        svc.checkpoint_publisher.stop()  # publishes a last checkpoint, then no more
        time.sleep(0.6)
        idle = client.get("/readyz")
        assert idle.status_code == 200, "an old checkpoint covering every leaf is fine"
        lookup(client, tokens, sc.ice_1253())
        time.sleep(0.6)
        stale = client.get("/readyz")
        assert stale.status_code == 503
        assert stale.json()["checks"]["checkpoint"] is False
        svc.checkpointer.publish(svc.clock.now())
        fresh = client.get("/readyz")
        assert fresh.status_code == 200, fresh.text


def test_policy_activations_rejections_and_opa_restarts_are_counted(
    tmp_path: Path, opa_binary: Path
) -> None:
    policy_dir = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, policy_dir)
    token_file = tmp_path / "metrics.token"
    token_file.write_text(METRICS_TOKEN)
    settings = make_settings(
        tmp_path / "home",
        f"sqlite:///{tmp_path / 'gw.db'}",
        opa_binary,
        policy_dir=policy_dir,
        metrics_enabled=True,
        metrics_token_file=token_file,
    )
    prepare_home(settings)
    with running_gateway(settings) as client:
        manager = client.app.state.services.policies  # type: ignore[attr-defined]
        before = scrape(client)
        orders = policy_dir / "registry" / "court_orders" / "data.json"
        data = json.loads(orders.read_text())
        data["CTR-PI"].update(status="VACATED", status_effective="2026-01-01T00:00:00-05:00")
        orders.write_text(json.dumps(data, indent=2))
        assert manager.reload_if_changed() is True
        (policy_dir / "gateway" / "decision.rego").write_text("package gateway\n\ndecision := {\n")
        assert manager.reload_if_changed() is False
        [first] = opa_children(settings.home)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while (
            opa_children(settings.home) in ([], [first]) or client.get("/readyz").status_code != 200
        ):
            assert time.monotonic() < deadline, "OPA was not restarted"
            time.sleep(0.1)
        after = scrape(client)
    assert moved(before, after, "gateway_policy_activations_total") == 1
    assert moved(before, after, "gateway_policy_rejections_total") == 1
    assert moved(before, after, "gateway_opa_restarts_total") == 1


def test_an_opa_that_does_not_answer_is_counted_as_a_failure() -> None:
    engine = OpaPolicyEngine(f"http://127.0.0.1:{free_loopback_port()}", timeout_seconds=2)
    reason = "policy engine request failed"

    def failures() -> float:
        return (
            metrics.REGISTRY.get_sample_value("gateway_opa_failures_total", {"reason": reason})
            or 0.0
        )

    before = failures()
    try:
        with pytest.raises(PolicyEngineUnavailableError, match=reason):
            engine.decide({"taxpayers": []})
    finally:
        engine.close()
    assert failures() == before + 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_callers_cannot_grow_the_request_labels(settings: Settings) -> None:
    with running_gateway(settings) as client:
        before = scrape(client)
        client.request("BREW", "/v1/address-lookups")
        client.get("/v1/123-45-6789/unknown")
        after = scrape(client)
    labels = {v for _name, pairs in after for _k, v in pairs}
    assert "BREW" not in labels
    assert not any("123-45-6789" in v for v in labels)
    unmatched = moved(
        before, after, "gateway_http_requests_total", method="GET", route="unmatched", status="404"
    )
    assert unmatched == 1
