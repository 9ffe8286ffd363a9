"""``gateway seed`` and ``gateway store import`` as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from gateway.settings import Settings
from gateway.store.commands import seed_command, store_app
from gateway.store.db import make_engine
from gateway.store.models import TAXPAYER
from tests.conftest import DEMO_JSONL


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """The commands registered the way the gateway CLI registers them, with a fresh home."""
    monkeypatch.setenv("GATEWAY_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    app = typer.Typer()
    app.command("seed")(seed_command)
    app.add_typer(store_app, name="store")
    return app


def _taxpayers() -> int:
    engine = make_engine(Settings().resolved_database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(TAXPAYER)).scalar_one())
    finally:
        engine.dispose()


def test_seed_creates_the_home_and_reports_the_count(cli: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["seed", "--taxpayers", "500", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("seeded 500 taxpayers")
    assert (tmp_path / "home" / "gateway.db").exists()
    assert _taxpayers() == 500


def test_seeding_twice_is_refused(cli: typer.Typer) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["seed", "--taxpayers", "100"]).exit_code == 0
    again = runner.invoke(cli, ["seed", "--taxpayers", "100"])
    assert again.exit_code == 1
    assert "already holds taxpayers" in again.stderr
    assert _taxpayers() == 100


def test_import_loads_the_demo_fixture(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["store", "import", str(DEMO_JSONL)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported 12 taxpayers")
    assert _taxpayers() == 12


def test_a_bad_line_prints_its_number_and_imports_nothing(cli: typer.Typer, tmp_path: Path) -> None:
    lines = DEMO_JSONL.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[2])
    broken["date_of_birth"] = "1990-02-30"
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([lines[0], lines[1], json.dumps(broken)]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["store", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("line 3: date_of_birth: ")
    assert "Okafor" not in result.stderr
    assert "1990-02-30" not in result.stderr
    assert _taxpayers() == 0


def test_import_of_a_missing_file_is_a_usage_error(cli: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["store", "import", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
