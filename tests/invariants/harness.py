"""The real things the invariant tests drive: a gateway, its decision log, and an OPA server.

Nothing here decides anything. A request goes to a whole gateway (in-process or
``gateway serve``) with its own OPA child; the test then reads the decision-log
leaf the gateway wrote, unseals the policy input the pipeline sent to OPA (with
the gateway's audit key, as ``gateway policy replay`` does) and asks a second,
real OPA server loaded with the same policy directory for the full decision:
findings with their outcomes, which the log leaf names only by rule id.

``GATEWAY_TEST_POLICY_DIR`` points every part (the gateway and the OPA server)
at another policy directory: that is how ``scripts/mutation.py`` runs these
tests on a mutated copy of ``policies/``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx

from gateway.audit.log import DecisionLog
from gateway.audit.sealing import AuditKeys
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.auth.tokens import StaffRole, mint_token
from gateway.pdp.process import LocalOpa
from tests.conftest import POLICY_DIR
from tests.invariants.world import Draft

POLICY_DIR_VARIABLE = "GATEWAY_TEST_POLICY_DIR"
AUDIENCE = "taxpayer-gateway"


def policy_dir_under_test() -> Path:
    """``policies/``, or the directory ``GATEWAY_TEST_POLICY_DIR`` names (a mutant)."""
    return Path(os.environ.get(POLICY_DIR_VARIABLE, POLICY_DIR)).resolve()


class OpaServer:
    """A real ``opa run --server`` on the policy directory under test, asked over HTTP."""

    def __init__(self, binary: Path, policy_dir: Path, log_path: Path) -> None:
        self._opa = LocalOpa(binary, policy_dir, log_path=log_path)
        self._http: httpx.Client | None = None

    def __enter__(self) -> OpaServer:
        self._opa.start()
        self._http = httpx.Client(base_url=self._opa.url, timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.close()
        self._opa.stop()

    def decide(self, policy_input: Any) -> dict[str, Any]:
        """``data.gateway.decision`` for ``policy_input``, exactly as OPA returns it."""
        assert self._http is not None
        resp = self._http.post("/v1/data/gateway/decision", json={"input": policy_input})
        resp.raise_for_status()
        body = resp.json()
        assert "result" in body, f"the decision is undefined: {body}"
        result: dict[str, Any] = body["result"]
        return result


class Reply(Protocol):
    """What the tests read of an HTTP response (httpx's, or the test client's)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class Gateway(Protocol):
    """A running gateway: in-process (TestClient) or ``gateway serve`` over HTTP."""

    home: Path

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Reply: ...

    def has_route(self, path: str) -> bool: ...

    def log(self) -> DecisionLog: ...


@dataclass(frozen=True)
class Exchange:
    """One request and everything the tests may check about it."""

    draft: Draft
    status: int
    answer: dict[str, Any]
    record: dict[str, Any]
    """The decision-log leaf the gateway wrote for it."""
    policy_input: dict[str, Any]
    """What the pipeline sent to OPA, unsealed from the leaf."""
    decision: dict[str, Any]
    """The same input decided again by the tests' own OPA server: findings with outcomes."""


def _headers(
    keys: KeyStore, issuer: str, subject: str, role: StaffRole | None = None
) -> dict[str, str]:
    token = mint_token(
        keys,
        issuer=issuer,
        subject=subject,
        audience=AUDIENCE,
        now=datetime.now(UTC),
        lifetime=timedelta(minutes=5),
        role=role,
    )
    return {"Authorization": f"Bearer {token}"}


def record_court_order(gateway: Gateway, order: dict[str, Any]) -> None:
    """Staff record the order the request will cite, as verified against the docket.

    An order counts as verified only when the gateway's staff recorded it
    (``/v1/court-orders``); this is what a court liaison does before the agency's
    lookup. A gateway without that registry took the agency's word
    (``verified_with_court`` on the wire) and gets the order as it was.
    """
    if not gateway.has_route("/v1/court-orders"):
        order["verified_with_court"] = True
        return
    keys = KeyStore(gateway.home / "keys")
    recording = {k: v for k, v in order.items() if k != "verified_with_court"}
    recording["verification_source"] = "PACER docket entry (invariant tests)"
    resp = gateway.post(
        "/v1/court-orders",
        recording,
        _headers(keys, GATEWAY_KEY_NAME, "liaison-marsh", "court_liaison"),
    )
    assert resp.status_code == 201, resp.text


def exchange(gateway: Gateway, opa: OpaServer, d: Draft) -> Exchange:
    """Send the draft as its agency's official, then read back the leaf, input and decision."""
    body = d.body
    if body.get("court_order"):
        record_court_order(gateway, body["court_order"])
        if gateway.has_route("/v1/court-orders"):
            body["court_order"].pop("verified_with_court", None)
    keys = KeyStore(gateway.home / "keys")
    resp = gateway.post("/v1/address-lookups", body, _headers(keys, d.agency, d.official))
    assert resp.status_code == 200, f"{resp.status_code}: {resp.text}"
    answer: dict[str, Any] = resp.json()
    leaf = gateway.log().entries(answer["log_index"], answer["log_index"] + 1)[0]
    record: dict[str, Any] = json.loads(leaf.body)
    assert record["decision_id"] == answer["decision_id"]
    audit = AuditKeys.load_or_create(gateway.home / "keys")
    policy_input: dict[str, Any] = json.loads(
        audit.unseal(record["sealed_input"], associated_data=answer["decision_id"].encode())
    )
    return Exchange(d, resp.status_code, answer, record, policy_input, opa.decide(policy_input))
