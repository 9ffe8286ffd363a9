"""An auditor's own witness of the log: remember a checkpoint, demand proof of every later one.

The auditor keeps a state file holding the log's verifier key (pinned on the
first run) and the newest checkpoint it has verified. Each :func:`witness`
step:

1. fetches the log's current checkpoint and opens it with the pinned key;
2. if it is larger than the remembered one, fetches an RFC 9162 consistency
   proof between the two sizes and verifies it; if it is the same size, the
   roots must be equal; if it is smaller, the log must prove that it is a
   prefix of the remembered one (a stale replica is not a fork) and the
   remembered checkpoint is kept. A log that no longer holds as many leaves
   as the remembered checkpoint (restored from an older backup, truncated)
   cannot, and is refused like a fork: it lost history it had signed;
3. only then remembers the new checkpoint (written atomically).

When the current checkpoint is signed by another key, the log rotated its
checkpoint key: the witness reads the leaves since its remembered checkpoint,
and for each checkpoint key record among them proves the leaf is in the
current (not yet trusted) tree, checks that the key it trusts signed the
rotation statement and that the statement's (size, root) is a state of that
tree, and only then trusts the new key (:mod:`gateway.audit.rotation`). The
state file keeps the key pinned on the first run and the key now in force.

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

from gateway.audit.checkpoint import (
    Checkpoint,
    SignedNote,
    open_note,
    verify_checkpoint_consistency,
)
from gateway.audit.errors import (
    AuditVerificationError,
    InconsistentCheckpointError,
    SignatureVerificationError,
)
from gateway.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from gateway.audit.rotation import KeyChain, RotationStatement, parse_key_record
from gateway.audit.signer import NoteVerifier, b64decode_strict

__all__ = [
    "HttpLogClient",
    "LogClient",
    "TreeSizeNotReachedError",
    "WitnessState",
    "WitnessStep",
    "load_state",
    "save_state",
    "witness",
]


class TreeSizeNotReachedError(Exception):
    """The log answered that it does not hold a tree of the size asked for."""


class LogClient(Protocol):
    def checkpoint(self) -> str: ...
    def consistency(self, first: int, second: int) -> list[bytes]:
        """The RFC 9162 proof; :class:`TreeSizeNotReachedError` if ``second`` is beyond the log."""
        ...

    def inclusion(self, index: int, size: int) -> list[bytes]: ...
    def entries(self, start: int, end: int) -> list[bytes]: ...


@dataclass(frozen=True)
class WitnessState:
    verifier_key: str
    """The checkpoint key in force as of ``checkpoint``."""
    checkpoint: str | None = None
    pinned_key: str | None = None
    """The key pinned on the first run (None in state files written before rotation existed)."""

    @property
    def first_key(self) -> str:
        return self.pinned_key or self.verifier_key


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
    pinned = raw.get("pinned_key")
    return WitnessState(
        verifier_key=str(raw["verifier_key"]),
        checkpoint=raw.get("checkpoint"),
        pinned_key=None if pinned is None else str(pinned),
    )


def save_state(path: Path, state: WitnessState) -> None:
    """Write the state atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    body = json.dumps(
        {
            "verifier_key": state.verifier_key,
            "checkpoint": state.checkpoint,
            "pinned_key": state.first_key,
        }
    )
    with tmp.open("w", encoding="utf-8") as f:
        f.write(body + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def witness(state: WitnessState, client: LogClient) -> WitnessStep:
    """One witnessing step (see the module docstring); raises on any inconsistency."""
    verifier = NoteVerifier.from_text(state.verifier_key)
    # 1. The current checkpoint, signed by the key in force (pinned, or rotated to).
    note = client.checkpoint()
    if state.checkpoint is None:
        current = open_note(note, [verifier])
        pinned = WitnessState(state.verifier_key, note, state.first_key)
        return WitnessStep(pinned, None, current, True)
    previous = open_note(state.checkpoint, [verifier])
    try:
        current = open_note(note, [verifier])
    except SignatureVerificationError:
        verifier = _follow_rotations(client, verifier, previous, note)
        current = open_note(note, [verifier])
    key_text = verifier.verifier_key_text()
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
            try:
                proof = client.consistency(current.size, previous.size)
            except TreeSizeNotReachedError as exc:
                raise InconsistentCheckpointError(
                    f"its newest checkpoint has size {current.size} and the log holds fewer"
                    f" leaves than the {previous.size} of the saved checkpoint: leaves it signed"
                    " are gone (restored from an older backup, or truncated)"
                ) from exc
            verify_checkpoint_consistency(current, previous, proof)
            return WitnessStep(state, previous, current, False)
    except InconsistentCheckpointError:
        raise
    except AuditVerificationError as exc:
        raise InconsistentCheckpointError(str(exc)) from exc
    # 3. Remember it.
    advanced = current.size > previous.size
    return WitnessStep(WitnessState(key_text, note, state.first_key), previous, current, advanced)


_PAGE = 1000


def _follow_rotations(
    client: LogClient, trusted: NoteVerifier, previous: Checkpoint, note: str
) -> NoteVerifier:
    """The key in force at the size of ``note``, reached from ``trusted`` by rotation leaves.

    The checkpoint in ``note`` is not trusted yet: every rotation leaf is proven
    to be in its tree, and the old key's signature is what makes the new key
    trusted. Raises :class:`AuditVerificationError` if no such chain exists.
    """
    unverified = Checkpoint.from_text(SignedNote.from_text(note).text)
    size, root = unverified.size, unverified.root
    chain = KeyChain([trusted])
    for start in range(previous.size, size, _PAGE):
        end = min(start + _PAGE, size)
        for offset, data in enumerate(client.entries(start, end)):
            record = parse_key_record(start + offset, data)
            if record is None:
                continue
            verify_inclusion(
                leaf_hash=leaf_hash(data),
                index=record.index,
                size=size,
                proof=client.inclusion(record.index, size),
                root=root,
            )
            chain.apply(record, None)
            if record.statement is not None:
                statement = RotationStatement.from_text(SignedNote.from_text(record.statement).text)
                verify_consistency(
                    first=statement.size,
                    second=size,
                    first_root=statement.root,
                    second_root=root,
                    proof=client.consistency(statement.size, size),
                )
    if chain.rotations == 0:
        raise SignatureVerificationError(
            f"the checkpoint of size {size} is not signed by the key in force"
            f" {trusted.key_id.hex()} and the log rotated no key since size {previous.size}"
        )
    return chain.current[0]


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

    def entries(self, start: int, end: int) -> list[bytes]:
        """Leaves ``start..end-1`` (auditor tokens only), possibly over several pages."""
        leaves: list[bytes] = []
        while start + len(leaves) < end:
            body = self._get("/v1/log/entries", start=start + len(leaves), end=end).json()
            try:
                page = [b64decode_strict(e["data"]) for e in body["entries"]]
            except (KeyError, TypeError, ValueError) as exc:
                raise InconsistentCheckpointError("the log served malformed entries") from exc
            if not page:
                raise InconsistentCheckpointError("the log served no entries for its own size")
            leaves.extend(page)
        return leaves

    def inclusion(self, index: int, size: int) -> list[bytes]:
        body = self._get("/v1/log/proofs/inclusion", index=index, tree_size=size).json()
        try:
            return [b64decode_strict(h) for h in body["hashes"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InconsistentCheckpointError("the log served a malformed proof") from exc

    def consistency(self, first: int, second: int) -> list[bytes]:
        try:
            resp = self._get("/v1/log/proofs/consistency", first=first, second=second)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:  # the log's answer for a size it has not reached
                raise TreeSizeNotReachedError(exc.response.text) from exc
            raise
        body = resp.json()
        try:
            return [b64decode_strict(h) for h in body["hashes"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InconsistentCheckpointError("the log served a malformed proof") from exc


def encode_hashes(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in hashes]
