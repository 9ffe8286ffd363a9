"""``gateway audit accounting | report | decisions | rebuild-projection`` on a real database."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.cli import app
from gateway.services import Services
from gateway.settings import Settings
from tests.integration.auditing.workload import RIVERA_TIN, run_workload
from tests.support import Tokens


def _run(settings: Settings, *args: str) -> Any:
    env = {
        "GATEWAY_HOME": str(settings.home),
        "GATEWAY_DATABASE_URL": settings.resolved_database_url,
        "GATEWAY_POLICY_DIR": str(settings.policy_dir),
        "GATEWAY_OPA_BINARY": str(settings.opa_binary),
    }
    result = CliRunner().invoke(app, ["audit", *args], env=env)
    assert result.exit_code == 0, result.output
    return result


def _access(client: TestClient) -> list[dict[str, Any]]:
    log = client.app.state.services.decision_log  # type: ignore[attr-defined]
    entries = log.entries(0, log.size())
    return [json.loads(e.body) for e in entries if e.kind == "audit_access"]


def test_cli_answers_the_accounting_and_the_report_in_every_format(
    client: TestClient, tokens: Tokens, settings: Settings
) -> None:
    work = run_workload(client, tokens)
    out = json.loads(_run(settings, "accounting", "--tin", RIVERA_TIN, "--format", "json").stdout)
    assert {e["decision_id"] for e in out["entries"]} == {
        work.allowed,
        work.denied,
        work.pending,
        work.approved,
        work.rejected,
    }
    assert RIVERA_TIN not in json.dumps(out)
    rows = list(
        csv.DictReader(
            io.StringIO(_run(settings, "accounting", "--tin", RIVERA_TIN, "--format", "csv").stdout)
        )
    )
    disclosed = [r for r in rows if r["outcome"] == "disclosed"]
    assert {r["decision_id"] for r in disclosed} == {work.allowed, work.approved}
    assert "Dana Whitfield" in disclosed[0]["recipients"]
    table = _run(settings, "accounting", "--tin", RIVERA_TIN).stdout
    assert "2 disclosures, 5 requests" in table
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    report = json.loads(_run(settings, "report", "--since", since, "--format", "json").stdout)
    assert report["total"]["decisions"] == 5
    counts = list(
        csv.DictReader(
            io.StringIO(_run(settings, "report", "--since", since, "--format", "csv").stdout)
        )
    )
    assert {(c["group"], c["key"], c["denied"]) for c in counts} >= {("agency", "DHS-ICE-HSI", "1")}
    looks = [(a["action"], a["channel"]) for a in _access(client)]
    assert looks.count(("accounting", "cli")) == 3
    assert looks.count(("summary", "cli")) == 2


def test_cli_exports_a_search_and_rebuilds_the_projection(
    client: TestClient, tokens: Tokens, settings: Settings, tmp_path: Any
) -> None:
    work = run_workload(client, tokens)
    target = tmp_path / "denials.jsonl"
    _run(settings, "decisions", "--rule", "INJ-1", "--format", "jsonl", "--output", str(target))
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["decision_id"] for r in rows] == [work.denied]
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    size = svc.decision_log.size()
    assert f"projection rebuilt from {size} leaves" in _run(settings, "rebuild-projection").stdout
    after = _run(settings, "decisions", "--outcome", "disclosed", "--format", "csv").stdout
    assert {r["decision_id"] for r in csv.DictReader(io.StringIO(after))} == {
        work.allowed,
        work.approved,
    }
