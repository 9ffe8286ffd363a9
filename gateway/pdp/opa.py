"""The only module that talks to OPA, through opa-python-client; it fails closed.

Every way the policy engine can fail — connection refused, a reply slower than
the deadline, an HTTP error, an undefined decision (no ``result``), or a
result that does not parse as :class:`~gateway.pdp.decision.Decision` or does
not answer for exactly the subjects asked about — becomes
:class:`~gateway.errors.PolicyEngineUnavailableError`, which the API turns into
a 503 with nothing disclosed.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from opa_client.opa import OpaClient
from pydantic import ValidationError

from gateway.errors import PolicyEngineUnavailableError
from gateway.pdp.decision import Decision

DECISION_PACKAGE = "gateway"
DECISION_RULE = "decision"


class PolicyEngine(Protocol):
    """What the pipeline needs from a policy decision point."""

    def decide(self, policy_input: dict[str, Any]) -> Decision: ...

    def healthy(self) -> bool: ...


class OpaPolicyEngine:
    """Asks a running OPA for ``data.gateway.decision`` with a hard deadline."""

    def __init__(self, url: str, *, timeout_seconds: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an OPA URL: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        # retries=0: a retry would silently stretch the deadline the caller set.
        self._client = OpaClient(
            host=parts.hostname,
            port=port,
            ssl=parts.scheme == "https",
            timeout=timeout_seconds,
            retries=0,
        )

    def decide(self, policy_input: dict[str, Any]) -> Decision:
        try:
            reply = self._client.query_rule(
                input_data=policy_input, package_path=DECISION_PACKAGE, rule_name=DECISION_RULE
            )
        except requests.Timeout as exc:
            raise PolicyEngineUnavailableError("policy engine did not answer in time") from exc
        except (requests.RequestException, ValueError) as exc:
            raise PolicyEngineUnavailableError("policy engine request failed") from exc
        if not isinstance(reply, dict) or "result" not in reply:
            raise PolicyEngineUnavailableError("policy decision is undefined")
        try:
            decision = Decision.model_validate(reply["result"])
        except ValidationError as exc:
            raise PolicyEngineUnavailableError("policy decision is malformed") from exc
        asked = [t["ref"] for t in policy_input.get("taxpayers", [])]
        if [s.ref for s in decision.subjects] != asked:
            raise PolicyEngineUnavailableError("policy decision does not match the subjects asked")
        return decision

    def healthy(self) -> bool:
        return bool(self._client.check_health())

    def close(self) -> None:
        self._client.close_connection()
