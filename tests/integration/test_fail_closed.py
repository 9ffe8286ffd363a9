"""Fail closed: when OPA cannot give a well-formed decision in time, nothing is disclosed.

OPA here is always the real binary: stopped, or started with a policy that
leaves the decision undefined or returns a malformed one. The slow, dripping and
redirecting cases need a server that misbehaves on purpose, which OPA cannot be
made to do, so a small real HTTP server (``tests.standin_opa``) stands in for it
there; its answer is a well-formed ALLOW, so only the adapter's deadline or its
refusal to follow a redirect can turn it into a 503.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.audit.log import DecisionLog
from gateway.pdp.process import LocalOpa
from gateway.settings import Settings
from tests import scenarios as sc
from tests.standin_opa import DripHandler, LateHandler, PromptHandler, RedirectHandler, stand_in
from tests.support import Tokens, make_settings, prepare_home, running_gateway


def _prepared(tmp_path: Path, opa_binary: Path, **extra: object) -> Settings:
    s = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary, **extra)
    prepare_home(s)
    return s


def _assert_closed(client: TestClient, settings: Settings) -> None:
    log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
    before = log.size()
    resp = client.post(
        "/v1/address-lookups",
        json=sc.fbi_i2(),
        headers=Tokens(settings).agency("DOJ-FBI", "FBI_DIRECTOR"),
    )
    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
    assert "Elm St" not in resp.text
    entries = log.entries(before, before + 10)
    assert [e.kind for e in entries] == ["decision_failure"]
    assert json.loads(entries[0].body)["outcome"] == "denied"


def _policy_dir(tmp_path: Path, rego: str) -> Path:
    d = tmp_path / "bad-policy"
    d.mkdir()
    (d / "gateway.rego").write_text(rego)
    return d


def test_opa_stopped_means_503_and_a_logged_failure(tmp_path: Path, opa_binary: Path) -> None:
    opa = LocalOpa(opa_binary, _policy_dir(tmp_path, "package gateway\n\nx := 1\n"))
    opa.start()
    url = opa.url
    opa.stop()
    settings = _prepared(tmp_path, opa_binary, opa_url=url)
    with running_gateway(settings) as client:
        assert client.get("/readyz").status_code == 503
        _assert_closed(client, settings)


@pytest.mark.parametrize(
    "rego",
    [
        pytest.param("package gateway\n\nother := 1\n", id="undefined"),
        pytest.param(
            'package gateway\n\ndecision := {"outcome": "MAYBE", "subjects": []}\n', id="malformed"
        ),
        pytest.param(
            'package gateway\n\ndecision := {"outcome": "ALLOW", "reasons": [], "subjects": [],'
            ' "obligations": []}\n',
            id="wrong-subjects",
        ),
    ],
)
def test_undefined_or_malformed_decision_means_503(
    tmp_path: Path, opa_binary: Path, rego: str
) -> None:
    with LocalOpa(opa_binary, _policy_dir(tmp_path, rego)) as opa:
        settings = _prepared(tmp_path, opa_binary, opa_url=opa.url)
        with running_gateway(settings) as client:
            _assert_closed(client, settings)


def test_opa_slower_than_the_deadline_means_503(tmp_path: Path, opa_binary: Path) -> None:
    # The late answer is a well-formed ALLOW: only the deadline can refuse it.
    with stand_in(LateHandler, delay=1.5) as late:
        settings = _prepared(tmp_path, opa_binary, opa_url=late.url, opa_timeout_seconds=0.3)
        with running_gateway(settings) as client:
            _assert_closed(client, settings)


def test_opa_that_drips_a_well_formed_allow_past_the_deadline_means_503_long_before_it_ends(
    tmp_path: Path, opa_binary: Path
) -> None:
    # 20 pieces 0.5 s apart: each within a per-read timeout of 1 s, the whole 10 s.
    with stand_in(DripHandler, where="body", pieces=20, interval=0.5) as drip:
        settings = _prepared(tmp_path, opa_binary, opa_url=drip.url, opa_timeout_seconds=1.0)
        with running_gateway(settings) as client:
            started = time.monotonic()
            _assert_closed(client, settings)
            assert time.monotonic() - started < 5.0, "the deadline did not bound the whole read"


def test_opa_that_redirects_means_503_and_the_other_server_is_never_asked(
    tmp_path: Path, opa_binary: Path
) -> None:
    with (
        stand_in(PromptHandler) as elsewhere,
        stand_in(RedirectHandler, location=elsewhere.url) as redirecting,
    ):
        settings = _prepared(tmp_path, opa_binary, opa_url=redirecting.url)
        with running_gateway(settings) as client:
            assert client.get("/readyz").status_code == 503
            _assert_closed(client, settings)
        assert elsewhere.requests == 0
