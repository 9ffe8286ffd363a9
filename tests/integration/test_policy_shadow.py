"""Shadow mode: a candidate decides live lookups beside the active policy, for the record only."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.cli import app
from gateway.pdp.manager import PolicyManager
from gateway.pdp.shadow import ShadowMode, ShadowRun
from gateway.settings import Settings
from tests import scenarios as sc
from tests.conftest import POLICY_DIR
from tests.integration.test_policy_reload import _lift_injunctions
from tests.support import Tokens, make_settings, prepare_home, running_gateway, staff_id


@pytest.fixture
def settings(tmp_path: Path, opa_binary: Path, database_url: str) -> Settings:
    s = make_settings(tmp_path / "home", database_url, opa_binary)
    prepare_home(s)
    return s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with running_gateway(settings) as c:
        yield c


@pytest.fixture
def lifted(tmp_path: Path) -> Path:
    candidate = tmp_path / "candidate"
    shutil.copytree(POLICY_DIR, candidate)
    _lift_injunctions(candidate)
    return candidate


def _shadow(client: TestClient) -> ShadowMode:
    manager: PolicyManager = client.app.state.services.policies  # type: ignore[attr-defined]
    return manager.shadow


def _lookups(client: TestClient, settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    tokens = Tokens(settings)
    fbi = client.post(
        "/v1/address-lookups", json=sc.fbi_i2(), headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    )
    body = sc.ice_1253()
    body["purpose"]["case_number"] = body["request_id"]  # a new ask, not a duplicate (GW-3b)
    ice = client.post(
        "/v1/address-lookups", json=body, headers=tokens.agency("DHS-ICE-HSI", "COMPONENT_HEAD")
    )
    assert fbi.status_code == ice.status_code == 200, (fbi.text, ice.text)
    return fbi.json(), ice.json()


def _operator(settings: Settings) -> dict[str, str]:
    return Tokens(settings).staff("operator")


def test_shadow_records_what_the_candidate_would_change_and_discloses_as_the_active_policy(
    client: TestClient, settings: Settings, lifted: Path
) -> None:
    started = client.post(
        "/v1/policy/shadow", json={"candidate": str(lifted)}, headers=_operator(settings)
    )
    assert started.status_code == 201, started.text
    assert started.json()["started_by"] == staff_id("operator")
    fbi, ice = _lookups(client, settings)
    # What is disclosed is the active policy's: the injunction still denies ICE.
    assert ice["outcome"] == "denied"
    assert fbi["outcome"] == "allowed"
    assert _shadow(client).drain(10)
    seen = client.get("/v1/policy/shadow", headers=_operator(settings)).json()
    assert seen["shadow"]["evaluated"] == 2
    assert (seen["shadow"]["differences"], seen["shadow"]["dropped"]) == (1, 0)
    [difference] = seen["differences"]
    assert difference["kind"] == "shadow_difference"
    assert difference["decision_id"] == ice["decision_id"]
    assert difference["agency"] == "DHS-ICE-HSI"
    assert difference["active_revision"] == ice["policy_revision"]
    assert difference["candidate_revision"] == started.json()["candidate_revision"]
    [subject] = difference["subjects"]
    assert subject["change"] == "denied→pending_review"
    assert subject["active"]["outcome"] == "denied"
    assert subject["candidate"]["outcome"] == "pending_review"
    assert {"INJ-1", "INJ-4"} <= set(subject["active"]["rules"]) - set(
        subject["candidate"]["rules"]
    )
    stopped = client.delete("/v1/policy/shadow", headers=_operator(settings))
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["running"] is False
    _lookups(client, settings)  # no comparison once stopped
    again = client.get("/v1/policy/shadow", headers=_operator(settings)).json()
    assert len(again["differences"]) == 1
    assert client.delete("/v1/policy/shadow", headers=_operator(settings)).status_code == 404


def test_a_candidate_that_dies_never_fails_a_lookup(
    client: TestClient, settings: Settings, lifted: Path
) -> None:
    headers = _operator(settings)
    assert client.post(
        "/v1/policy/shadow", json={"candidate": str(lifted)}, headers=headers
    ).is_success
    pid = _shadow(client)._local.pid  # type: ignore[union-attr]
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    fbi, ice = _lookups(client, settings)
    assert (fbi["outcome"], ice["outcome"]) == ("allowed", "denied")
    assert _shadow(client).drain(20)
    counts = client.get("/v1/policy/shadow", headers=_operator(settings)).json()["shadow"]
    assert (counts["failed"], counts["evaluated"], counts["differences"]) == (2, 0, 0)


def test_a_full_queue_drops_and_counts_instead_of_waiting(settings: Settings) -> None:
    from datetime import UTC, datetime

    from gateway.clock import SystemClock

    shadow = ShadowMode(settings, SystemClock())
    shadow._run = ShadowRun("sha256:x", "dir", "OPS", datetime.now(UTC))
    shadow._queue = queue.Queue(maxsize=1)  # no worker: the first job stays queued
    for _ in range(3):
        shadow.submit("d", "sha256:a", {"requester": {"agency_id": "DOJ-FBI"}}, None)  # type: ignore[arg-type]
    assert (shadow._queue.qsize(), shadow._run.dropped) == (1, 2)


def test_a_broken_candidate_is_refused_with_opas_words_on_the_operators_file(
    client: TestClient, settings: Settings, lifted: Path
) -> None:
    (lifted / "broken.rego").write_text("package gateway.broken\n\nallow if {\n", "utf-8")
    refused = client.post(
        "/v1/policy/shadow", json={"candidate": str(lifted)}, headers=_operator(settings)
    )
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "rego_parse_error" in detail
    assert str(lifted / "broken.rego") in detail
    assert "shadow-snapshots" not in detail
    assert client.get("/v1/policy/shadow", headers=_operator(settings)).json()["shadow"] is None


def test_a_kept_revision_can_shadow_and_an_auditor_cannot_start_one(
    client: TestClient, settings: Settings
) -> None:
    revision = client.get("/v1/policy", headers=_operator(settings)).json()["active_revision"]
    auditor = client.post(
        "/v1/policy/shadow", json={"revision": revision}, headers=Tokens(settings).staff("auditor")
    )
    assert auditor.status_code == 403
    started = client.post(
        "/v1/policy/shadow", json={"revision": revision}, headers=_operator(settings)
    )
    assert started.status_code == 201, started.text
    second = client.post(
        "/v1/policy/shadow", json={"revision": revision}, headers=_operator(settings)
    )
    assert second.status_code == 409
    _lookups(client, settings)
    assert _shadow(client).drain(10)
    seen = client.get("/v1/policy/shadow", headers=_operator(settings)).json()
    assert (seen["shadow"]["evaluated"], seen["differences"]) == (2, [])


def test_shadow_report_command_reads_the_differences_from_the_log(
    settings: Settings, lifted: Path
) -> None:
    with running_gateway(settings) as client:
        client.post(
            "/v1/policy/shadow", json={"candidate": str(lifted)}, headers=_operator(settings)
        )
        _, ice = _lookups(client, settings)
        assert _shadow(client).drain(10)
    env = {
        "GATEWAY_HOME": str(settings.home),
        "GATEWAY_DATABASE_URL": settings.resolved_database_url,
    }
    result = CliRunner().invoke(app, ["policy", "shadow-report", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["totals"] == {"denied→pending_review": 1}
    assert [d["decision_id"] for d in report["differences"]] == [ice["decision_id"]]
    table = CliRunner().invoke(app, ["policy", "shadow-report"], env=env)
    assert ice["decision_id"] in table.stdout
    assert "1 decisions differed" in table.stdout


def test_the_audit_shadow_page_shows_the_run_and_each_difference_and_logs_the_look(
    client: TestClient, settings: Settings, lifted: Path
) -> None:
    from tests.integration.test_audit_pages_session import _signed_in

    client.post("/v1/policy/shadow", json={"candidate": str(lifted)}, headers=_operator(settings))
    _, ice = _lookups(client, settings)
    assert _shadow(client).drain(10)
    _signed_in(client, Tokens(settings))
    page = client.get("/audit/shadow")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Running" in page.text
    assert f"/audit/decisions/{ice['decision_id']}" in page.text
    row = page.text.split('id="differences"')[1]
    assert "DHS-ICE-HSI" in row
    assert "outcome-denied" in row
    assert "outcome-pending_review" in row
    assert "INJ-1" in row
    log = client.app.state.services.decision_log  # type: ignore[attr-defined]
    looks = [
        json.loads(e.body)["action"] for e in log.entries(0, log.size()) if e.kind == "audit_access"
    ]
    assert looks[-1] == "shadow_differences"


def test_shadow_commands_say_in_one_line_when_the_gateway_cannot_be_reached(
    settings: Settings, lifted: Path
) -> None:
    from gateway.pdp.process import free_loopback_port

    url = f"http://127.0.0.1:{free_loopback_port()}"  # nothing listens there
    env = {"GATEWAY_HOME": str(settings.home), "GATEWAY_STAFF_TOKEN": ""}
    for args in (["start", "--candidate", str(lifted)], ["stop"]):
        result = CliRunner().invoke(app, ["policy", "shadow", *args, "--url", url], env=env)
        assert result.exit_code == 1, result.output
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("gateway: cannot reach the gateway at")


def test_shadow_commands_without_a_key_or_token_send_nothing(tmp_path: Path) -> None:
    env = {"GATEWAY_HOME": str(tmp_path / "empty-home"), "GATEWAY_STAFF_TOKEN": ""}
    result = CliRunner().invoke(
        app, ["policy", "shadow", "stop", "--url", "http://127.0.0.1:9"], env=env
    )
    assert result.exit_code == 1, result.output
    assert "cannot mint an operator token" in result.stderr
    assert "pass --token" in result.stderr


def test_a_shadow_needs_exactly_one_candidate_that_exists(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    def start(body: dict[str, str]) -> int:
        code: int = client.post(
            "/v1/policy/shadow", json=body, headers=_operator(settings)
        ).status_code
        return code

    assert start({}) == 422
    assert start({"candidate": str(tmp_path), "revision": "sha256:" + "0" * 64}) == 422
    assert start({"candidate": str(tmp_path / "nowhere")}) == 404
    assert start({"revision": "sha256:" + "0" * 64}) == 404
    assert start({"revision": "HEAD"}) == 422
    assert client.get("/v1/policy/shadow", headers=_operator(settings)).json()["shadow"] is None
