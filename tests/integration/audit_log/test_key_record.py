"""The log names its first signing key in a key_rotation leaf, and refuses a swapped key file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.audit.checkpoints import CheckpointKeyError
from gateway.audit.log import DecisionLog
from gateway.db import make_engine
from gateway.settings import Settings
from tests.support import Tokens, make_settings, prepare_home, running_gateway


def _key_records(client: TestClient) -> list[dict[str, object]]:
    log: DecisionLog = client.app.state.services.decision_log  # type: ignore[attr-defined]
    return [json.loads(e.body) for e in log.entries(0, log.size()) if e.kind == "key_rotation"]


def _settings(tmp_path: Path, opa_binary: Path) -> Settings:
    s = make_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary)
    prepare_home(s)
    return s


def test_first_start_records_the_checkpoint_key_it_will_sign_with(
    tmp_path: Path, opa_binary: Path
) -> None:
    settings = _settings(tmp_path, opa_binary)
    with running_gateway(settings) as client:
        [record] = _key_records(client)
        public = client.get("/v1/log/public-key", headers=Tokens(settings).staff("auditor"))
        assert record["key_role"] == "checkpoint"
        assert record["old_key_id"] is None
        assert record["verifier_key"] == public.text.strip()


def test_restart_with_the_same_key_records_nothing_new(tmp_path: Path, opa_binary: Path) -> None:
    settings = _settings(tmp_path, opa_binary)
    with running_gateway(settings) as client:
        client.post("/v1/log/checkpoint", headers=Tokens(settings).staff("operator"))
    with running_gateway(settings) as client:
        assert len(_key_records(client)) == 1


def test_a_replaced_key_file_is_refused_at_start_not_recorded(
    tmp_path: Path, opa_binary: Path
) -> None:
    """Swapping the key file is no rotation: nothing the old key signed hands the log on."""
    settings = _settings(tmp_path, opa_binary)
    with running_gateway(settings) as client:
        resp = client.post("/v1/log/checkpoint", headers=Tokens(settings).staff("operator"))
        assert resp.status_code == 200, resp.text
        size = client.app.state.services.decision_log.size()  # type: ignore[attr-defined]
    for key_file in settings.keys_dir.glob("log-checkpoint*"):
        key_file.unlink()
    with pytest.raises(CheckpointKeyError, match="not the log's key"), running_gateway(settings):
        pass
    engine = make_engine(settings.resolved_database_url)
    try:
        assert DecisionLog(engine).size() == size  # no unsigned key record was appended
    finally:
        engine.dispose()
