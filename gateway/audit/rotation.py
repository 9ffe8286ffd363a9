"""Rotating the log's checkpoint key: a leaf the old key signs, and the chain verifiers follow.

A log that changes its signing key must not ask anyone to trust the new key on
its word: whoever controls the log could otherwise present a rewritten history
under a fresh key. So a rotation is a ``key_rotation`` leaf (``key_role``
``checkpoint``) carrying a *rotation statement*, a C2SP signed note::

    <origin>
    checkpoint key rotation
    <size N of a checkpoint the old key signed>
    <base64 root of that checkpoint>
    <the new key's verifier key text>

signed by the old key (the authority) and by the new key (proof that someone
holds it). Binding the statement to a signed (size, root) means it cannot be
replayed into another history or at another point of this one.

The rule every verifier applies (:class:`KeyChain`): a checkpoint of size ``s``
must be signed by the key in force after the leaves ``0..s-1``, starting from
the key the verifier pinned. A rotation leaf at index ``i`` therefore retires
the old key for every checkpoint larger than ``i``. The log's first key is
recorded by a leaf without a statement (``old_key_id`` null), which must name
the key already trusted; an unsigned record naming any other key is a forgery.

Used by :mod:`gateway.audit.checkpoints` (a process never signs with a retired
key), :mod:`gateway.audit.verify` (database and export) and
:mod:`gateway.audit.witness`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.audit.checkpoint import SignedNote
from gateway.audit.errors import AuditVerificationError, MalformedKeyError
from gateway.audit.merkle import HASH_SIZE
from gateway.audit.signer import NoteSigner, NoteVerifier, b64decode_strict

__all__ = [
    "ROTATION_LINE",
    "KeyChain",
    "KeyRecord",
    "RotationError",
    "RotationStatement",
    "is_key_record",
    "parse_key_record",
    "sign_rotation",
]

ROTATION_LINE = "checkpoint key rotation"
_KIND_MARK = b'"kind":"key_rotation"'
_ROLE_MARK = b'"key_role":"checkpoint"'


class RotationError(AuditVerificationError):
    """A checkpoint key record is malformed, forged, or does not follow the chain."""


@dataclass(frozen=True)
class RotationStatement:
    """What the old key vouches for: from checkpoint (size, root) on, ``new_key`` signs."""

    origin: str
    size: int
    root: bytes
    new_key: NoteVerifier

    def to_text(self) -> str:
        root = base64.b64encode(self.root).decode("ascii")
        lines = (self.origin, ROTATION_LINE, str(self.size), root, self.new_key.verifier_key_text())
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> RotationStatement:
        lines = text.split("\n")
        if len(lines) != 6 or lines[5] != "" or lines[1] != ROTATION_LINE:
            raise RotationError(
                f"a rotation statement has exactly five lines, the second {ROTATION_LINE!r}"
            )
        origin, _, size_line, root_line, key_text, _ = lines
        if not size_line.isascii() or not size_line.isdigit() or str(int(size_line)) != size_line:
            raise RotationError("a rotation statement's size must be decimal")
        try:
            root = b64decode_strict(root_line)
            new_key = NoteVerifier.from_text(key_text)
        except (ValueError, MalformedKeyError) as exc:
            raise RotationError(f"a rotation statement is malformed: {exc}") from exc
        if len(root) != HASH_SIZE:
            raise RotationError("a rotation statement's root must be a SHA-256 hash")
        return cls(origin=origin, size=int(size_line), root=root, new_key=new_key)


def sign_rotation(old: NoteSigner, new: NoteSigner, *, size: int, root: bytes) -> str:
    """The statement handing the log from ``old`` to ``new`` after checkpoint (size, root)."""
    if old.name != new.name:
        raise ValueError("the new checkpoint key must carry the log's origin as its name")
    text = RotationStatement(old.name, size, root, new.verifier).to_text()
    note = SignedNote(text=text, signatures=()).add_signature(old).add_signature(new)
    return note.to_text()


@dataclass(frozen=True)
class KeyRecord:
    """A ``key_rotation`` leaf for the checkpoint key, as verifiers read it."""

    index: int
    new_key: NoteVerifier
    old_key: NoteVerifier | None
    statement: str | None
    """The signed rotation statement; None for the record of the log's first key."""


def is_key_record(data: bytes) -> bool:
    """Cheap test on canonical leaf bytes: could this be a checkpoint key record?"""
    return _KIND_MARK in data and _ROLE_MARK in data


def parse_key_record(index: int, data: bytes) -> KeyRecord | None:
    """The checkpoint key record in leaf ``index``, or None if the leaf is not one."""
    if not is_key_record(data):
        return None
    try:
        raw: Any = json.loads(data)
    except ValueError:
        return None
    if not isinstance(raw, dict) or raw.get("kind") != "key_rotation":
        return None
    if raw.get("key_role") != "checkpoint":
        return None
    try:
        new_key = NoteVerifier.from_text(str(raw["verifier_key"]))
        old_text = raw.get("old_verifier_key")
        old_key = None if old_text is None else NoteVerifier.from_text(str(old_text))
    except (KeyError, MalformedKeyError) as exc:
        raise RotationError(f"leaf {index} is a checkpoint key record without a valid key") from exc
    statement = raw.get("statement")
    if statement is not None and not isinstance(statement, str):
        raise RotationError(f"leaf {index}: the rotation statement must be a signed note")
    if raw.get("new_key_id") != new_key.key_id.hex():
        raise RotationError(f"leaf {index}: new_key_id is not the id of the key it names")
    return KeyRecord(index=index, new_key=new_key, old_key=old_key, statement=statement)


RootAt = Callable[[int], bytes | None]
"""The log's root at a size, or None if the caller cannot vouch for one."""


class KeyChain:
    """The checkpoint key in force, followed from the pinned key(s) through key records."""

    def __init__(self, pinned: Sequence[NoteVerifier]) -> None:
        if not pinned:
            raise ValueError("at least one pinned key is needed")
        self._current: tuple[NoteVerifier, ...] = tuple(pinned)
        self._rotations = 0

    @property
    def current(self) -> tuple[NoteVerifier, ...]:
        """The keys a checkpoint may be signed with now (one, once any record was applied)."""
        return self._current

    @property
    def rotations(self) -> int:
        return self._rotations

    def apply(self, record: KeyRecord, root_at: RootAt | None) -> None:
        """Move to the key ``record`` names, if the key in force authorized it.

        ``root_at`` checks the statement's (size, root) against the log; a caller
        that checks it another way (the witness, with a consistency proof) passes None.
        """
        current = {v.verifier_key_text(): v for v in self._current}
        if record.statement is None:
            if record.old_key is not None or record.new_key.verifier_key_text() not in current:
                raise RotationError(
                    f"leaf {record.index} records checkpoint key"
                    f" {record.new_key.key_id.hex()} without a rotation signed by the log's key"
                    f" {self._describe()}"
                )
            self._current = (record.new_key,)
            return
        note = SignedNote.from_text(record.statement)
        try:
            note.verify(self._current)
        except AuditVerificationError as exc:
            raise RotationError(
                f"leaf {record.index}: the rotation to key {record.new_key.key_id.hex()} is not"
                f" signed by the log's key {self._describe()}: {exc}"
            ) from exc
        try:
            note.verify([record.new_key])
        except AuditVerificationError as exc:
            raise RotationError(
                f"leaf {record.index}: the rotation is not signed by the new key it names"
            ) from exc
        statement = RotationStatement.from_text(note.text)
        if statement.new_key != record.new_key:
            raise RotationError(f"leaf {record.index}: the statement names another new key")
        if statement.origin != record.new_key.name:
            raise RotationError(f"leaf {record.index}: the statement names another log")
        if statement.size > record.index:
            raise RotationError(
                f"leaf {record.index}: the rotation claims a checkpoint of size"
                f" {statement.size}, beyond the leaf itself"
            )
        if root_at is not None and root_at(statement.size) != statement.root:
            raise RotationError(
                f"leaf {record.index}: the rotation names a root for size {statement.size}"
                " that no checkpoint of this log signed"
            )
        self._current = (record.new_key,)
        self._rotations += 1

    def _describe(self) -> str:
        return "/".join(v.key_id.hex() for v in self._current)
