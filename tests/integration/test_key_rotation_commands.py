"""``gateway keys rotate checkpoint|sealing|pseudonym`` between two runs of the real gateway.

After every key is rotated, the gateway keeps answering and signing, entries from
before stay readable (their inputs unseal with the retired key), the accounting
of a taxpayer finds the decisions from before and after the pseudonym key
changed, and the whole log verifies — in the database and offline — from the
checkpoint key pinned before the rotation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.cli import app
from gateway.services import Services
from gateway.settings import Settings
from tests import scenarios as sc
from tests.support import Tokens, running_gateway


def _env(settings: Settings) -> dict[str, str]:
    return {
        "GATEWAY_HOME": str(settings.home),
        "GATEWAY_DATABASE_URL": settings.resolved_database_url,
        "GATEWAY_POLICY_DIR": str(settings.policy_dir),
        "GATEWAY_LOG_ORIGIN": settings.log_origin,
    }


def _cli(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=_env(settings))
    assert result.exit_code == 0, result.output
    return result.output


def _lookup(client: TestClient, tokens: Tokens, periods: list[int]) -> str:
    body = sc.fbi_i2()
    body["subjects"][0]["taxable_periods"] = periods
    resp = client.post(
        "/v1/address-lookups", json=body, headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    )
    assert resp.status_code == 200, resp.text
    decision_id: str = resp.json()["decision_id"]
    return decision_id


def _leaf(client: TestClient, decision_id: str) -> dict[str, Any]:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    log = svc.decision_log
    for e in log.entries(0, log.size()):
        record: dict[str, Any] = json.loads(e.body)
        if e.kind == "decision" and record["decision_id"] == decision_id:
            return record
    raise AssertionError(f"no decision leaf {decision_id}")


def test_after_rotating_every_key_old_entries_read_accounting_is_whole_and_the_log_verifies(
    settings: Settings, tmp_path: Path
) -> None:
    tokens = Tokens(settings)
    with running_gateway(settings) as client:
        before = _lookup(client, tokens, [2024])
        first_key = client.get("/v1/log/public-key", headers=tokens.staff("auditor")).text.strip()
        old_leaf = _leaf(client, before)

    assert "rotated the pseudonym key" in _cli(settings, "keys", "rotate", "pseudonym")
    assert "rotated the sealing key" in _cli(settings, "keys", "rotate", "sealing")
    assert "rotated the checkpoint key" in _cli(settings, "keys", "rotate", "checkpoint")

    with running_gateway(settings) as client:
        after = _lookup(client, tokens, [2022, 2024])
        new_leaf = _leaf(client, after)
        assert new_leaf["pseudonym_key_id"] != old_leaf["pseudonym_key_id"]
        assert new_leaf["sealed_input"]["key_id"] != old_leaf["sealed_input"]["key_id"]
        current = client.get("/v1/log/public-key", headers=tokens.staff("auditor")).text.strip()
        assert current != first_key
        published = client.post("/v1/log/checkpoint", headers=tokens.staff("operator"))
        assert published.status_code == 200, published.text
        accounting = client.get(
            "/v1/audit/disclosures", params={"tin": "123456789"}, headers=tokens.staff("auditor")
        )
        assert accounting.status_code == 200, accounting.text
        entries = {e["decision_id"]: e for e in accounting.json()["entries"]}

    # The taxpayer is found under both pseudonym keys; the old input unseals with the
    # retired sealing key, so its recipients are still named.
    assert {before, after} <= set(entries)
    assert entries[before]["sealed_details"] is True
    assert entries[before]["recipients"], entries[before]

    verified = _cli(settings, "audit", "verify", "--public-key", first_key)
    assert "1 checkpoint key rotation(s) followed" in verified
    _cli(settings, "audit", "export", str(tmp_path / "export"))
    assert (tmp_path / "export" / "public-key.txt").read_text().strip() == first_key
    offline = _cli(
        settings,
        "audit",
        "verify",
        "--offline",
        str(tmp_path / "export"),
        "--public-key",
        first_key,
    )
    assert "1 checkpoint key rotation(s) followed" in offline
    refused = CliRunner().invoke(
        app, ["audit", "verify", "--public-key", current], env=_env(settings)
    )
    assert refused.exit_code == 1  # the new key alone vouches for nothing before it
