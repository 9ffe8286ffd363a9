from __future__ import annotations

from pathlib import Path

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


def test_opa_that_cannot_load_its_policy_fails_start_up(tmp_path: Path, opa_binary: Path) -> None:
    (tmp_path / "broken.rego").write_text("package gateway\n\ndecision := {\n")
    with pytest.raises(PolicyEngineUnavailableError, match="exited during start-up"):
        LocalOpa(opa_binary, tmp_path, start_timeout_seconds=20).start()
