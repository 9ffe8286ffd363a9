"""``gateway court-orders record`` refuses a bad file in one line, before any request is sent.

The happy path (a served gateway records the order and decides on it) is in
tests/e2e/test_scenarios_http.py; here nothing listens on the URL, so every
refusal below is the command's own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.cli import app
from gateway.pdp.process import free_loopback_port
from tests import scenarios as sc


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    KeyStore(home / "keys").ensure(GATEWAY_KEY_NAME)
    return home


def _run(home: Path, *args: str) -> Any:
    url = f"http://127.0.0.1:{free_loopback_port()}"  # nothing listens there
    env = {"GATEWAY_HOME": str(home), "GATEWAY_STAFF_TOKEN": ""}
    return CliRunner().invoke(app, ["court-orders", *args, "--url", url], env=env)


def _one_line_failure(result: Any) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    line: str = lines[0]
    return line


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "order.json"
    path.write_text(content, encoding="utf-8")
    return path


def test_a_missing_file_is_one_line(home: Path, tmp_path: Path) -> None:
    line = _one_line_failure(_run(home, "record", "--file", str(tmp_path / "nope.json")))
    assert line.endswith("nope.json: cannot be read (No such file or directory)")


def test_a_file_that_is_not_json_names_the_place(home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, '{"court": "U.S. District Court",\n  "docket_number": }')
    line = _one_line_failure(_run(home, "record", "--file", str(path)))
    assert line == f"{path}: not JSON at line 2, column 20"


def test_a_json_list_is_not_an_order(home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "[]")
    assert _one_line_failure(_run(home, "record", "--file", str(path))).endswith(
        "not a JSON object"
    )


def test_invalid_fields_are_named_without_their_values(home: Path, tmp_path: Path) -> None:
    order = sc.order_record(sc.fbi_i1()["court_order"])
    order["covered_tins"] = ["900-70-200"]
    order["court_type"] = "US_DISTRICT_COURT"
    del order["verification_source"]
    line = _one_line_failure(
        _run(home, "record", "--file", str(_write(tmp_path, json.dumps(order))))
    )
    assert "covered_tins.0: " in line
    assert "court_type: " in line
    assert "verification_source: Field required" in line
    assert "900-70-200" not in line


def test_a_gateway_that_does_not_answer_is_one_line(home: Path, tmp_path: Path) -> None:
    order = sc.order_record(sc.fbi_i1()["court_order"])
    line = _one_line_failure(
        _run(home, "record", "--file", str(_write(tmp_path, json.dumps(order))))
    )
    assert line.startswith("cannot reach the gateway at http://127.0.0.1:")
    assert _one_line_failure(_run(home, "list")).startswith("cannot reach the gateway")


def test_without_a_key_or_a_token_nothing_is_sent(tmp_path: Path) -> None:
    order = sc.order_record(sc.fbi_i1()["court_order"])
    line = _one_line_failure(
        _run(tmp_path / "empty-home", "record", "--file", str(_write(tmp_path, json.dumps(order))))
    )
    assert line == "no gateway key to mint a staff token; pass --token"
