"""The database work of one lookup does not grow with the agency's history (issue 11).

Not a timing, which a shared machine makes noisy (bench/history.py --served
measures that): SQLite's progress handler, set to every virtual-machine step,
is called as its programs branch, so once per row a statement visits, and the
gateway's statements are counted as they are sent. Both are the same however
busy the machine is. An index probe visits a few rows whatever the table's
size; a statement that cannot use its index visits every earlier lookup (a
probe without the agency's equality: 837 steps on an empty history, 320,779
after 20,000 earlier lookups).

Two homes run the same two lookups (a warm-up, then the measured one about
another demo taxpayer); one of them has 20,000 earlier lookups of the same
agency in ``lookup`` before the measured one, all inside the duplicate window
and none a duplicate of it. SQLite only: PostgreSQL's plans for the same
statements are checked in ``tests/unit/store/test_lookup_history.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

from gateway.services import Services
from tests import scenarios as sc
from tests.support import (
    Tokens,
    make_settings,
    prepare_home,
    running_gateway,
    write_lookup_history,
)

AGENCY = "DOJ-FBI"
HISTORY = 20_000


def _measured_lookup(home: Path, opa_binary: Path, history: int) -> dict[str, Any]:
    """Statements and SQLite steps of one lookup, after ``history`` earlier ones."""
    settings = make_settings(home, f"sqlite:///{home / 'gateway.db'}", opa_binary)
    prepare_home(settings)
    tokens = Tokens(settings)
    counts = {"statements": 0, "steps": 0, "on": False}

    def tick() -> int:
        counts["steps"] += 1
        return 0  # 0: go on

    def before(conn: Connection, *_: object) -> None:
        if counts["on"]:
            counts["statements"] += 1
        raw = conn.connection.dbapi_connection
        raw.set_progress_handler(tick if counts["on"] else None, 1)  # type: ignore[union-attr]

    with running_gateway(settings) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        event.listen(services.engine, "before_cursor_execute", before)
        headers = tokens.agency(AGENCY, "FBI_DIRECTOR")
        warm = client.post(
            "/v1/address-lookups", json=sc.about(sc.fbi_i2(), sc.CHEN), headers=headers
        )
        assert warm.status_code == 200, warm.text
        if history:
            write_lookup_history(services.engine, history, datetime.now(UTC), AGENCY)
        counts["on"] = True
        r = client.post(
            "/v1/address-lookups",
            json=sc.fbi_i2(),
            headers=tokens.agency(AGENCY, "FBI_DIRECTOR"),
        )
        counts["on"] = False
        event.remove(services.engine, "before_cursor_execute", before)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "allowed", r.json()
    return counts


def test_a_lookup_does_the_same_database_work_after_20000_earlier_lookups(
    tmp_path: Path, opa_binary: Path
) -> None:
    empty = _measured_lookup(tmp_path / "empty", opa_binary, 0)
    full = _measured_lookup(tmp_path / "full", opa_binary, HISTORY)
    assert full["statements"] == empty["statements"], (empty, full)
    # A B-tree one level deeper may cost a step or two a probe; reading the
    # agency's history costs tens of thousands (several a row).
    assert full["steps"] <= empty["steps"] * 1.1 + 200, (empty, full)
