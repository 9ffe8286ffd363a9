"""Lookups that race: one token, one request, decided once (issue 11 items 1 and 5).

The token's spend and the GW-3/GW-3b facts are checked before the decision and
settled in the decision leaf's transaction, under the log's write lock. These
tests make two lookups read before either commits, deterministically (both
verified first, or both held at a barrier after reading the replay facts), and
check that the database's order decides which one is new.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway import metrics
from gateway.auth.tokens import AgencyPrincipal
from gateway.domain import LookupRequest
from gateway.errors import UnauthenticatedError
from gateway.pep import LookupPipeline
from gateway.services import Services
from tests import scenarios as sc
from tests.support import Tokens


def _services(client: TestClient) -> Services:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    return svc


def _verified(svc: Services, headers: dict[str, str]) -> AgencyPrincipal:
    found = svc.verifier.verify(
        headers["Authorization"], svc.clock.now(), "write", defer_spend=True
    )
    assert isinstance(found, AgencyPrincipal)
    return found


def _body(**changes: Any) -> LookupRequest:
    return LookupRequest.model_validate({**sc.fbi_i2(), **changes})


def test_of_two_lookups_with_one_token_only_the_first_to_commit_is_answered(
    client: TestClient, tokens: Tokens
) -> None:
    svc = _services(client)
    headers = tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    # both pass the replay memory's read before either lookup has committed
    first, second = _verified(svc, headers), _verified(svc, headers)
    assert first.spend is not None
    assert second.spend is not None
    size = svc.decision_log.size()

    answered = svc.pipeline.run(first, _body(request_id="race-token-1"))
    with pytest.raises(UnauthenticatedError, match="replayed"):
        svc.pipeline.run(second, _body(request_id="race-token-2"))

    assert svc.decision_log.size() == size + 1  # the refused one left no leaf
    assert svc.lookups.get(answered.decision_id) is not None
    resp = client.post("/v1/address-lookups", json=sc.fbi_i2(), headers=headers)
    assert resp.status_code == 401


def test_identical_requests_read_before_either_commits_are_decided_new_exactly_once(
    client: TestClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = _services(client)
    read_both = threading.Barrier(2, timeout=30)
    held = threading.local()
    original = LookupPipeline._replay_memory

    def read_then_wait(self: LookupPipeline, *args: Any) -> Any:
        facts = original(self, *args)
        if not getattr(held, "done", False):  # only the first read of each lookup waits
            held.done = True
            read_both.wait()
        return facts

    monkeypatch.setattr(LookupPipeline, "_replay_memory", read_then_wait)
    principals = [_verified(svc, tokens.agency("DOJ-FBI", "FBI_DIRECTOR")) for _ in range(2)]
    body = _body(request_id="race-same-request")
    retries = metrics.DECISION_RETRIES._value.get()

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda p: svc.pipeline.run(p, body), principals))

    outcomes = sorted(a.outcome for a in answers)
    assert outcomes == ["allowed", "denied"]
    again = next(a for a in answers if a.outcome == "denied")
    assert "GW-3" in sc.rule_ids(again.model_dump(mode="json"))
    assert metrics.DECISION_RETRIES._value.get() == retries + 1


@pytest.mark.parametrize(
    "refused",
    [
        pytest.param({"not": "a lookup"}, id="invalid body (422)"),
        pytest.param(None, id="reused request id with another body (409)"),
    ],
)
def test_a_lookup_refused_before_its_leaf_still_spends_its_token(
    client: TestClient, tokens: Tokens, refused: dict[str, Any] | None
) -> None:
    if refused is None:  # the request id is taken by another body first
        taken = sc.fbi_i2()
        first = client.post(
            "/v1/address-lookups", json=taken, headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
        )
        assert first.status_code == 200
        refused = {**taken, "fields": ["last_known_address", "income"]}
    headers = tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    assert client.post("/v1/address-lookups", json=refused, headers=headers).status_code in (
        409,
        422,
    )
    again = client.post(
        "/v1/address-lookups", json={**sc.fbi_i2(), "request_id": "fresh-id"}, headers=headers
    )
    assert again.status_code == 401
    assert "replayed" in again.json()["detail"]
