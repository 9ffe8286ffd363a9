from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.errors import PolicyEngineUnavailableError
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import LocalOpa


@pytest.mark.parametrize("url", ["opa:8181", "ftp://127.0.0.1:8181", "http://"])
def test_adapter_refuses_what_is_not_an_opa_url(url: str) -> None:
    with pytest.raises(ValueError, match="not an OPA URL"):
        OpaPolicyEngine(url, timeout_seconds=1)


def test_missing_opa_binary_is_a_policy_engine_failure(tmp_path: Path) -> None:
    with pytest.raises(PolicyEngineUnavailableError, match="make setup"):
        LocalOpa(tmp_path / "no-opa", tmp_path).start()


def test_opa_that_cannot_load_its_policy_fails_start_up_in_its_own_words(
    tmp_path: Path, opa_binary: Path
) -> None:
    # OPA's own parse error must come through: any binary that merely exits (/bin/true)
    # would otherwise pass for an OPA that refused the policy.
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "broken.rego").write_text("package gateway\n\ndecision := {\n")
    opa = LocalOpa(opa_binary, policy, start_timeout_seconds=20, log_path=tmp_path / "opa.log")
    with pytest.raises(PolicyEngineUnavailableError, match="exited during start-up") as refused:
        opa.start()
    assert "rego_parse_error" in str(refused.value)
    assert opa.exit_code() not in (None, 0)


def test_opa_that_starts_serves_the_policy_it_was_given(tmp_path: Path, opa_binary: Path) -> None:
    (tmp_path / "gateway.rego").write_text('package gateway\n\nanswer := "from rego"\n')
    with LocalOpa(opa_binary, tmp_path, start_timeout_seconds=20) as opa:
        resp = httpx.get(f"{opa.url}/v1/data/gateway/answer", timeout=5)
        assert resp.json() == {"result": "from rego"}
        assert opa.exit_code() is None
