"""``gateway audit verify / export / verify --offline / checkpoint / public-key`` on a real log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text, update
from typer.testing import CliRunner

from gateway.audit.checkpoints import Checkpointer
from gateway.audit.log import DecisionLog
from gateway.audit.logkey import load_log_signer
from gateway.audit.tables import LOG_ENTRY
from gateway.cli import app
from gateway.store.db import make_engine, migrate
from tests.integration.audit_log.conftest import T0, fill, fixed_signer

ORIGIN = "cli.example/decisions"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    home = tmp_path / "home"
    e = {
        "GATEWAY_HOME": str(home),
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_LOG_ORIGIN": ORIGIN,
    }
    engine = make_engine(database_url)
    migrate(engine)
    log = DecisionLog(engine)
    checkpointer = Checkpointer(log, load_log_signer(home / "keys", ORIGIN, create=True))
    for end in (3, 7, 10):
        fill(log, log.size(), end)
        checkpointer.publish(T0)
    fill(log, 10, 12)  # two leaves no checkpoint covers yet
    engine.dispose()
    return e


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_verify_accepts_an_intact_log_and_reports_the_uncovered_tail(env: dict[str, str]) -> None:
    code, out = _run(env, "audit", "verify")
    assert code == 0, out
    assert "verified: 12 leaves, 3 signed checkpoints" in out
    assert "last 2 leaves" in out


def test_checkpoint_command_covers_the_tail(env: dict[str, str]) -> None:
    code, out = _run(env, "audit", "checkpoint")
    assert code == 0, out
    assert out.startswith(f"{ORIGIN}\n12\n")
    code, out = _run(env, "audit", "verify")
    assert "4 signed checkpoints" in out
    assert "not yet covered" not in out


def test_export_then_offline_verify_with_the_pinned_key(
    env: dict[str, str], tmp_path: Path
) -> None:
    code, key = _run(env, "audit", "public-key")
    assert code == 0
    assert key.startswith(f"{ORIGIN}+")
    code, out = _run(env, "audit", "export", str(tmp_path / "exp"))
    assert code == 0, out
    assert "exported 12 leaves and 3 checkpoints" in out
    code, out = _run(
        env, "audit", "verify", "--offline", str(tmp_path / "exp"), "--public-key", key
    )
    assert code == 0, out
    assert "verified: 12 leaves" in out
    assert "warning" not in out


def test_offline_verify_without_a_pinned_key_warns(env: dict[str, str], tmp_path: Path) -> None:
    _run(env, "audit", "export", str(tmp_path / "exp"))
    code, out = _run(env, "audit", "verify", "--offline", str(tmp_path / "exp"))
    assert code == 0, out
    assert "warning: trusting the public key inside the export" in out


def test_export_refuses_a_directory_that_is_not_empty(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "exp"
    target.mkdir()
    (target / "other.txt").write_text("x")
    code, out = _run(env, "audit", "export", str(target))
    assert code == 2
    assert "not empty" in out


def test_verify_names_the_index_of_a_tampered_leaf(env: dict[str, str]) -> None:
    engine = make_engine(env["GATEWAY_DATABASE_URL"])
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER log_entry_no_update"))
        else:
            conn.execute(text("DROP TRIGGER log_entry_no_update_delete ON log_entry"))
        conn.execute(update(LOG_ENTRY).where(LOG_ENTRY.c.idx == 5).values(body=b"{}"))
    engine.dispose()
    code, out = _run(env, "audit", "verify")
    assert code == 1
    assert "FAILED at index 5:" in out


def test_verify_with_a_key_other_than_the_logs_fails(env: dict[str, str]) -> None:
    other = fixed_signer(seed=7, name=ORIGIN).verifier_key_text()
    code, out = _run(env, "audit", "verify", "--public-key", other)
    assert code == 1
    assert "does not verify" in out


def test_offline_verify_names_the_index_of_a_tampered_export(
    env: dict[str, str], tmp_path: Path
) -> None:
    _run(env, "audit", "export", str(tmp_path / "exp"))
    leaves = tmp_path / "exp" / "leaves.bin"
    data = bytearray(leaves.read_bytes())
    data[-2] ^= 0x20  # a byte inside leaf 11, after the last checkpoint
    data[40] ^= 0x20  # a byte inside leaf 1
    leaves.write_bytes(bytes(data))
    code, out = _run(env, "audit", "verify", "--offline", str(tmp_path / "exp"))
    assert code == 1
    assert "FAILED at index 0:" in out
    assert "signed for size 3" in out
