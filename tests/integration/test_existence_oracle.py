"""A denied person on file and a person not on file: the same answer for the same work (GW-11).

The answer bodies were already identical; the time to answer was not (issue 8:
2.6–3.3 ms more for a person on file, measured over HTTP). Time itself is
measured by ``bench/oracle.py``; here the causes are checked: every statement a
whole lookup sends to the database (SQLAlchemy's ``before_cursor_execute``),
and the shape of the policy input OPA evaluates, must be the same for both.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from gateway.audit.log import DecisionLog
from gateway.audit.sealing import AuditKeys
from gateway.services import Services
from tests import scenarios as sc
from tests.support import Tokens

FBI = ("DOJ-FBI", "FBI_DIRECTOR")
BACKGROUND_THREADS = frozenset({"checkpoint-publisher", "policy-watcher"})
"""Threads that write on their own schedule; their statements are nobody's lookup."""
VOLATILE = ("decision_id", "log_index", "decided_at")

STRANGER = {"first": "Harold", "middle": None, "last": "Pemberton"}
STRANGER_ADDRESS = {
    "line1": "88 Quarry Rd",
    "line2": None,
    "city": "Frederick",
    "state": "MD",
    "zip": "21701",
}


def _services(client: TestClient) -> Services:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    return svc


@contextmanager
def _recording(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
    ) -> None:
        if threading.current_thread().name not in BACKGROUND_THREADS:
            statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _ask(
    client: TestClient, tokens: Tokens, tin: str, name: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    body = sc.fbi_i2()
    body["subjects"][0].update({"tin": tin, "name": name, "address": STRANGER_ADDRESS})
    headers = tokens.agency(*FBI)
    with _recording(_services(client).engine) as statements:
        resp = client.post("/v1/address-lookups", json=body, headers=headers)
    assert resp.status_code == 200, resp.text
    answer: dict[str, Any] = resp.json()
    assert answer["outcome"] == "denied"
    return answer, statements


def _stable(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without what differs between any two answers (ids, the time)."""
    return {k: v for k, v in answer.items() if k not in VOLATILE}


def _policy_input(client: TestClient, answer: dict[str, Any]) -> dict[str, Any]:
    """The input OPA decided on, unsealed from the decision's log leaf."""
    services = _services(client)
    log: DecisionLog = services.decision_log
    record = json.loads(log.entries(answer["log_index"], answer["log_index"] + 1)[0].body)
    plain = AuditKeys.load_or_create(services.settings.keys_dir).unseal(
        record["sealed_input"], associated_data=answer["decision_id"].encode()
    )
    policy_input: dict[str, Any] = json.loads(plain)
    return policy_input


def _paths(value: Any, at: str = "") -> set[str]:
    """Every key path of a JSON document, list positions written as ``[]``."""
    if isinstance(value, dict):
        return {at} | {p for k, v in value.items() for p in _paths(v, f"{at}/{k}")}
    if isinstance(value, list):
        return {at} | {p for v in value for p in _paths(v, f"{at}[]")}
    return {at}


@pytest.mark.parametrize(
    ("tin", "name"),
    [
        pytest.param(sc.RIVERA_TIN, STRANGER, id="on-file-name-does-not-match"),
        pytest.param(
            "123-45-4004",
            {"first": "Priya", "middle": "N.", "last": "Raman"},
            id="on-file-confidential-informant",
        ),
    ],
)
def test_a_denied_person_on_file_costs_the_datastore_what_a_stranger_costs(
    client: TestClient, tokens: Tokens, tin: str, name: dict[str, Any]
) -> None:
    on_file, on_file_sql = _ask(client, tokens, tin, name)
    stranger, stranger_sql = _ask(client, tokens, "123-45-0001", STRANGER)

    assert _stable(on_file) == _stable(stranger)
    assert any("FROM address" in s for s in stranger_sql)
    assert on_file_sql == stranger_sql


def test_a_denied_person_on_file_and_a_stranger_give_the_policy_inputs_of_one_shape(
    client: TestClient, tokens: Tokens
) -> None:
    """OPA walks the same document either way; only values differ (a year, a TIN)."""
    on_file, _ = _ask(client, tokens, sc.RIVERA_TIN, STRANGER)
    stranger, _ = _ask(client, tokens, "123-45-0001", STRANGER)

    on_file_input = _policy_input(client, on_file)
    stranger_input = _policy_input(client, stranger)
    assert on_file_input["taxpayers"][0]["match"]["candidates"] == 1
    assert stranger_input["taxpayers"][0]["match"]["candidates"] == 0
    assert _paths(on_file_input) - {"/taxpayers[]/record/address_tax_years[]"} == _paths(
        stranger_input
    )
