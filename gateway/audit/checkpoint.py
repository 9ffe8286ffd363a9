"""Checkpoints (C2SP tlog-checkpoint) carried in signed notes (C2SP signed-note).

A checkpoint names the log (origin), its size and its RFC 9162 root::

    irs.example.gov/taxpayer-gateway/decisions
    8
    XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=

    — irs.example.gov/taxpayer-gateway/decisions <base64(key ID || Ed25519 signature)>

What this module guarantees:

* :meth:`Checkpoint.to_text` and :meth:`Checkpoint.from_text` are exact
  inverses. Parsing is strict: every line ends in a newline, the size is ASCII
  decimal without leading zeros (``0`` for the empty tree) and below 2**64, the
  root is canonical standard base64 of exactly 32 bytes, no line is empty.
* Extension lines (any lines after the root) are *preserved*, not rejected:
  they are covered by the signature, so keeping them accepts every valid
  checkpoint and lets the text round-trip. The gateway's log writes none.
* :meth:`SignedNote.from_text` accepts only valid UTF-8 without control
  characters other than newline (the signed-note rule; this module also
  refuses DEL and the C1 controls), splits text from signatures at the last
  empty line, and reads ``— <name> <base64(key ID || signature)>`` lines,
  at most :data:`MAX_SIGNATURES` of them (the spec requires accepting 16; Go's
  ``sumdb/note`` also stops at 100).
* :meth:`SignedNote.verify` ignores signatures whose (name, key ID) matches no
  trusted verifier, verifies every one that does, and raises
  :class:`~gateway.audit.errors.SignatureVerificationError` if any of those
  fails or if none exists.
* :func:`open_note` parses the checkpoint only after its signatures verified,
  and requires the checkpoint's origin to equal the name of a trusted key that
  signed it: a log's key is named after the log, so a key trusted for one log
  cannot vouch for a checkpoint of another (tlog-checkpoint says the names
  SHOULD match; here they MUST).
* :func:`verify_checkpoint_consistency` is the check a log runs before signing
  a new checkpoint: same origin, and an RFC 9162 consistency proof from the
  last signed one.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.audit.errors import (
    AuditVerificationError,
    InconsistentCheckpointError,
    MalformedCheckpointError,
    SignatureVerificationError,
)
from gateway.audit.merkle import HASH_SIZE, MAX_TREE_SIZE, verify_consistency
from gateway.audit.signer import (
    NoteSigner,
    NoteVerifier,
    b64decode_strict,
    is_valid_key_name,
)

__all__ = [
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteSignature",
    "SignedNote",
    "open_note",
    "sign",
    "sign_checkpoint",
    "verify_checkpoint_consistency",
]

MAX_SIGNATURES = 100
"""Most signature lines a note may carry (signed-note: at least 16 must be accepted)."""

_SIZE_LINE = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_KEY_ID_SIZE = 4


def _has_control_character(text: str, *, allow_newline: bool) -> bool:
    return any(
        unicodedata.category(ch) == "Cc" and not (allow_newline and ch == "\n") for ch in text
    )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The signed statement of a log's state: origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or _has_control_character(self.origin, allow_newline=False):
            raise ValueError("checkpoint origin must be non-empty, on one line, without controls")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise ValueError(f"checkpoint size must be in [0, 2**64), got {self.size}")
        if len(self.root) != HASH_SIZE:
            raise ValueError(f"checkpoint root must be {HASH_SIZE} bytes, got {len(self.root)}")
        for line in self.extensions:
            if not line or _has_control_character(line, allow_newline=False):
                raise ValueError("extension lines must be non-empty, without controls")

    def to_text(self) -> str:
        """Return the checkpoint note text (each line, the last included, ends in newline)."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text; raise :class:`MalformedCheckpointError` if malformed."""
        if not text.endswith("\n"):
            raise MalformedCheckpointError("checkpoint text must end with a newline")
        if _has_control_character(text, allow_newline=True):
            raise MalformedCheckpointError("checkpoint text contains a control character")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedCheckpointError("checkpoint needs origin, size and root lines")
        if not all(lines):
            raise MalformedCheckpointError("checkpoint lines must not be empty")
        origin, size_line, root_line, *extensions = lines
        if not _SIZE_LINE.fullmatch(size_line):
            raise MalformedCheckpointError("tree size must be decimal without leading zeros")
        size = int(size_line)
        if size > MAX_TREE_SIZE:
            raise MalformedCheckpointError("tree size does not fit in 64 bits")
        try:
            root = b64decode_strict(root_line)
        except ValueError as exc:
            raise MalformedCheckpointError("root hash is not canonical standard base64") from exc
        if len(root) != HASH_SIZE:
            raise MalformedCheckpointError(f"root hash must be {HASH_SIZE} bytes, got {len(root)}")
        return cls(origin=origin, size=size, root=root, extensions=tuple(extensions))


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        """Return ``— <name> <base64(key ID || signature)>`` with its newline."""
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A note text and its signature lines, not yet trusted."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        """Return the note: text, one empty line, then the signature lines."""
        return self.text + "\n" + "".join(sig.to_line() for sig in self.signatures)

    @classmethod
    def from_text(cls, note: str | bytes) -> SignedNote:
        """Parse a signed note; raise :class:`MalformedCheckpointError` if malformed.

        Nothing is verified here; :meth:`verify` decides whether to trust it.
        """
        # 1. Valid UTF-8 (a str must not hold lone surrogates either).
        try:
            if isinstance(note, bytes):
                note = note.decode("utf-8")
            else:
                note.encode("utf-8")
        except UnicodeError as exc:
            raise MalformedCheckpointError("signed note is not valid UTF-8") from exc
        # 2. No control characters other than newline.
        if _has_control_character(note, allow_newline=True):
            raise MalformedCheckpointError("signed note contains a control character")
        if not note.endswith("\n"):
            raise MalformedCheckpointError("signed note must end with a newline")
        # 3. The text ends at the last empty line; the signature lines follow it.
        split = note.rfind("\n\n")
        if split < 0:
            raise MalformedCheckpointError("signed note has no empty line before its signatures")
        text, block = note[: split + 1], note[split + 2 :]
        if not block:
            raise MalformedCheckpointError("signed note has no signature lines")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise MalformedCheckpointError(
                f"signed note has {len(lines)} signatures; at most {MAX_SIGNATURES} are accepted"
            )
        # 4. Each line is "— <name> <base64(key ID || signature)>".
        return cls(text=text, signatures=tuple(_parse_signature_line(line) for line in lines))

    def verify(self, verifiers: Sequence[NoteVerifier]) -> tuple[NoteVerifier, ...]:
        """Verify the signatures of trusted keys; return the verifiers that verified.

        Signatures whose (name, key ID) matches no verifier are ignored.
        Raises :class:`SignatureVerificationError` if a matching signature
        fails, if no signature matches a verifier, or if two different
        verifiers share a name and key ID (which one is meant is ambiguous).
        """
        trusted: dict[tuple[str, bytes], NoteVerifier] = {}
        for verifier in verifiers:
            slot = (verifier.name, verifier.key_id)
            if trusted.setdefault(slot, verifier) != verifier:
                raise SignatureVerificationError(
                    f"two trusted keys share the name {verifier.name} and key ID"
                    f" {verifier.key_id.hex()}"
                )
        message = self.text.encode("utf-8")
        verified: list[NoteVerifier] = []
        for sig in self.signatures:
            known = trusted.get((sig.name, sig.key_id))
            if known is None:
                continue
            known.verify(message, sig.signature)
            if known not in verified:
                verified.append(known)
        if not verified:
            raise SignatureVerificationError("signed note carries no signature by a trusted key")
        return tuple(verified)

    def add_signature(self, signer: NoteSigner) -> SignedNote:
        """Return this note with ``signer``'s signature of its text appended (cosigning)."""
        if len(self.signatures) >= MAX_SIGNATURES:
            raise ValueError(f"a note carries at most {MAX_SIGNATURES} signatures")
        signature = NoteSignature(
            name=signer.name,
            key_id=signer.key_id,
            signature=signer.sign(self.text.encode("utf-8")),
        )
        return SignedNote(text=self.text, signatures=(*self.signatures, signature))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise MalformedCheckpointError("signature line must start with an em dash and a space")
    fields = line[len(_SIGNATURE_PREFIX) :].split(" ")
    if len(fields) != 2:
        raise MalformedCheckpointError("signature line must be '— <key name> <base64>'")
    name, blob_b64 = fields
    if not is_valid_key_name(name):
        raise MalformedCheckpointError(f"signature line has an invalid key name {name!r}")
    try:
        blob = b64decode_strict(blob_b64)
    except ValueError as exc:
        raise MalformedCheckpointError("signature is not canonical standard base64") from exc
    if len(blob) <= _KEY_ID_SIZE:
        raise MalformedCheckpointError("signature must hold a 4-byte key ID and signature bytes")
    return NoteSignature(name=name, key_id=blob[:_KEY_ID_SIZE], signature=blob[_KEY_ID_SIZE:])


def _require_note_text(text: str) -> None:
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    if _has_control_character(text, allow_newline=True):
        raise ValueError("note text must not contain control characters other than newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("note text must be valid Unicode, without lone surrogates") from exc


def sign(text: str, signer: NoteSigner) -> str:
    """Return the signed note of ``text`` with one signature by ``signer``.

    ``text`` must end with a newline and hold no control character other than
    newline (:class:`ValueError` otherwise).
    """
    _require_note_text(text)
    return SignedNote(text=text, signatures=()).add_signature(signer).to_text()


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """Sign ``checkpoint`` with the log's key, whose name must be the checkpoint's origin."""
    if signer.name != checkpoint.origin:
        raise ValueError(
            f"the log key is named {signer.name!r} but the checkpoint origin is"
            f" {checkpoint.origin!r}; they must be equal"
        )
    return sign(checkpoint.to_text(), signer)


def open_note(note_text: str | bytes, verifiers: Sequence[NoteVerifier]) -> Checkpoint:
    """Verify a signed checkpoint and return it.

    1. Parse the signed note (:class:`MalformedCheckpointError`).
    2. Verify it against the trusted ``verifiers`` (:class:`SignatureVerificationError`).
    3. Only then parse its text as a checkpoint (:class:`MalformedCheckpointError`).
    4. Require the origin to be the name of a trusted key that signed it
       (:class:`SignatureVerificationError`).
    """
    note = SignedNote.from_text(note_text)
    signed_by = note.verify(verifiers)
    checkpoint = Checkpoint.from_text(note.text)
    if checkpoint.origin not in {verifier.name for verifier in signed_by}:
        raise SignatureVerificationError(
            f"checkpoint origin {checkpoint.origin!r} is not the name of a trusted key that"
            " signed it"
        )
    return checkpoint


def verify_checkpoint_consistency(
    older: Checkpoint, newer: Checkpoint, proof: Sequence[bytes]
) -> None:
    """Verify that ``newer`` is an append-only extension of ``older``.

    Raises :class:`InconsistentCheckpointError` if the origins differ or if
    ``proof`` is not an RFC 9162 consistency proof from ``older`` to ``newer``;
    the proof's own error is chained as the cause.
    """
    if older.origin != newer.origin:
        raise InconsistentCheckpointError(
            f"checkpoints of different logs: {older.origin!r} and {newer.origin!r}"
        )
    try:
        verify_consistency(
            first=older.size,
            second=newer.size,
            first_root=older.root,
            second_root=newer.root,
            proof=proof,
        )
    except AuditVerificationError as exc:
        raise InconsistentCheckpointError(
            f"checkpoint of size {newer.size} is not shown to extend checkpoint of size"
            f" {older.size}: {exc}"
        ) from exc
