"""GW-3b says what happened to the first request: already disclosed, or still pending.

An agency that asks again about the same taxpayers and periods within the
duplicate window is denied (GW-3b) whatever became of the first request, but the
message it reads comes from the METADATA of the GW-3b rule that matches the first
request's status now (``duplicate_of.status`` in the policy input): "Already
disclosed" only when the first answer disclosed something, "Already pending" while
it awaits a disclosure officer. Real OPA, SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import scenarios as sc
from tests.support import Tokens


def _ask(client: TestClient, tokens: Tokens, body: dict[str, Any]) -> dict[str, Any]:
    headers = tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    answer: dict[str, Any] = client.post("/v1/address-lookups", json=body, headers=headers).json()
    return answer


def _reworded(body: dict[str, Any]) -> dict[str, Any]:
    """The same taxpayer and periods under a new request id, case number and reason."""
    again = sc.fbi_i2()
    again["subjects"] = [dict(body["subjects"][0], specific_reason="Seen again on 14 Jan 2026.")]
    again["purpose"]["case_number"] = "FBI-BA-2026-0999"
    return again


def _gw3b_message(answer: dict[str, Any]) -> str:
    assert answer["outcome"] == "denied", answer
    assert answer["results"][0]["address"] is None
    [message] = [r["message"] for r in answer["reasons"] if r["rule"] == "GW-3b"]
    return str(message)


def _pending_first(client: TestClient, tokens: Tokens) -> dict[str, Any]:
    """A recipient attests 60 open matters (6103-I2-7b): the first request goes to review."""
    first = sc.fbi_i2()
    first["recipients"][1]["open_caseload"] = 60
    answer = _ask(client, tokens, first)
    assert answer["outcome"] == "pending_review"
    return first | {"answer": answer}


def test_asking_again_while_the_first_request_is_pending_says_already_pending(
    client: TestClient, tokens: Tokens
) -> None:
    first = _pending_first(client, tokens)
    message = _gw3b_message(_ask(client, tokens, _reworded(first)))
    assert message.startswith(f"Already pending under request {first['request_id']}")
    assert "disclos" not in message.replace("disclosure officer", "")


def test_asking_again_after_a_disclosure_says_already_disclosed(
    client: TestClient, tokens: Tokens
) -> None:
    first = sc.fbi_i2()
    assert _ask(client, tokens, first)["outcome"] == "allowed"
    message = _gw3b_message(_ask(client, tokens, _reworded(first)))
    assert message.startswith(f"Already disclosed under request {first['request_id']}")
    assert "no second disclosure" in message
