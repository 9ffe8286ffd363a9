"""End to end, as a user would: the CLI prepares the home, `gateway serve` runs and
tokens come from `gateway token`. The §4 scenarios over HTTP are in
``test_scenarios_http.py``, with a gateway of their own."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests import scenarios as sc
from tests.e2e.served import cli, gateway_env, served


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return gateway_env(tmp_path_factory.mktemp("e2e-home"))


@pytest.fixture(scope="module")
def gateway_url(env: dict[str, str]) -> Iterator[str]:
    with served(env, never_logged=("123-45-6789", "Rivera", "1420 Elm")) as url:
        yield url


@pytest.mark.e2e
def test_cli_staff_token_authenticates_but_cannot_request_addresses(
    env: dict[str, str], gateway_url: str
) -> None:
    token = cli(env, "token", "--role", "auditor").strip()
    resp = httpx.post(
        f"{gateway_url}/v1/address-lookups",
        json=sc.fbi_i2(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert resp.status_code == 403
    assert resp.headers["content-type"] == "application/problem+json"


@pytest.mark.e2e
def test_policy_replay_of_the_live_policy_changes_nothing(
    env: dict[str, str], gateway_url: str
) -> None:
    token = cli(env, "token", "--agency", "DOJ-FBI", "--official", "fbi-director").strip()
    answer = httpx.post(
        f"{gateway_url}/v1/address-lookups",
        json=sc.fbi_i2(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    out = cli(env, "policy", "replay", "--last", "100")
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("replayed ")
    assert summary.endswith(": 0 subjects would change")
    assert answer["log_index"] >= 0
