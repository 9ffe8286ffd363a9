"""An auditor's own witness of the log: remember a checkpoint, demand proof of every later one.

The auditor keeps a state file holding the log's verifier key (pinned on the
first run) and the newest checkpoint it has verified. Each :func:`witness`
step:

1. fetches the log's current checkpoint and opens it with the pinned key;
2. if it is larger than the remembered one, fetches an RFC 9162 consistency
   proof between the two sizes and verifies it; if it is the same size, the
   roots must be equal; if it is smaller, the log must prove that it is a
   prefix of the remembered one (a stale replica is not a fork) and the
   remembered checkpoint is kept;
3. only then remembers the new checkpoint (written atomically).

A log that rewrote history, or that shows this auditor a history different
from the one it showed before, cannot pass step 2:
:class:`~gateway.audit.errors.InconsistentCheckpointError` is raised and the
state file is left untouched, so the two signed, contradictory checkpoints
remain as evidence. Auditors who compare their state files catch a log that
shows different histories to different auditors the same way.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from gateway.audit.checkpoint import Checkpoint, open_note, verify_checkpoint_consistency
from gateway.audit.errors import AuditVerificationError, InconsistentCheckpointError
from gateway.audit.signer import NoteVerifier, b64decode_strict

__all__ = [
    "HttpLogClient",
    "LogClient",
    "WitnessState",
    "WitnessStep",
    "load_state",
    "save_state",
    "witness",
]


class LogClient(Protocol):
    def checkpoint(self) -> str: ...
    def consistency(self, first: int, second: int) -> list[bytes]: ...


@dataclass(frozen=True)
class WitnessState:
    verifier_key: str
    checkpoint: str | None = None


@dataclass(frozen=True)
class WitnessStep:
    state: WitnessState
    previous: Checkpoint | None
    current: Checkpoint
    advanced: bool


def load_state(path: Path) -> WitnessState | None:
    if not path.exists():
        return None
    raw = json.loads(path.read_text("utf-8"))
    return WitnessState(verifier_key=str(raw["verifier_key"]), checkpoint=raw.get("checkpoint"))


def save_state(path: Path, state: WitnessState) -> None:
    """Write the state atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    body = json.dumps({"verifier_key": state.verifier_key, "checkpoint": state.checkpoint})
    with tmp.open("w", encoding="utf-8") as f:
        f.write(body + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def witness(state: WitnessState, client: LogClient) -> WitnessStep:
    """One witnessing step (see the module docstring); raises on any inconsistency."""
    verifier = NoteVerifier.from_text(state.verifier_key)
    # 1. The current checkpoint, signed by the pinned key.
    note = client.checkpoint()
    current = open_note(note, [verifier])
    if state.checkpoint is None:
        return WitnessStep(WitnessState(state.verifier_key, note), None, current, True)
    previous = open_note(state.checkpoint, [verifier])
    # 2. Consistency with what we saw before.
    try:
        if current.size >= previous.size:
            proof = (
                []
                if current.size == previous.size
                else client.consistency(previous.size, current.size)
            )
            verify_checkpoint_consistency(previous, current, proof)
        else:
            proof = client.consistency(current.size, previous.size)
            verify_checkpoint_consistency(current, previous, proof)
            return WitnessStep(state, previous, current, False)
    except InconsistentCheckpointError:
        raise
    except AuditVerificationError as exc:
        raise InconsistentCheckpointError(str(exc)) from exc
    # 3. Remember it.
    advanced = current.size > previous.size
    return WitnessStep(WitnessState(state.verifier_key, note), previous, current, advanced)


class HttpLogClient:
    """The log endpoints of a gateway, over HTTP with a bearer token."""

    def __init__(self, base_url: str, token: Callable[[], str], *, timeout: float = 10.0) -> None:
        # Gateway tokens are single-use (their jti is remembered), so each request gets a new one.
        self._token = token
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, **params: int) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token()}"}
        resp = self._client.get(path, params=params, headers=headers)
        resp.raise_for_status()
        return resp

    def checkpoint(self) -> str:
        return self._get("/v1/log/checkpoint").text

    def public_key(self) -> str:
        return self._get("/v1/log/public-key").text.strip()

    def consistency(self, first: int, second: int) -> list[bytes]:
        body = self._get("/v1/log/proofs/consistency", first=first, second=second).json()
        try:
            return [b64decode_strict(h) for h in body["hashes"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InconsistentCheckpointError("the log served a malformed proof") from exc


def encode_hashes(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in hashes]
