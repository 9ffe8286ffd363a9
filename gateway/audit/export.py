"""Export the decision log to a directory, and verify such a directory offline.

The export format (version 1) is meant to be read by an auditor's own code::

    DIR/export.json        {"format": "taxpayer-gateway-log-export", "version": 1,
                            "origin": ..., "size": N, "checkpoints": K}
    DIR/public-key.txt     the log's verifier key: <origin>+<key id hex>+<base64(0x01 || key)>
    DIR/checkpoint.txt     the newest signed checkpoint (C2SP signed note)
    DIR/checkpoints.jsonl  every signed checkpoint, smallest size first:
                           {"size": S, "note": "<signed note text>"} one per line
    DIR/leaves.bin         leaves 0..N-1 in order, each as a 4-byte big-endian length
                           followed by exactly the bytes that were hashed

A leaf's hash is ``SHA-256(0x00 || bytes)`` and the roots follow RFC 9162 §2.1,
so verifying needs only SHA-256, Ed25519 and the two specs. Checkpoints are
read before leaves, so every exported checkpoint is covered by the exported
leaves even while the gateway keeps appending.

:func:`verify_export` checks a directory with :class:`~gateway.audit.verify.LogVerifier`
and needs no database and no gateway; the public key should be the one the
auditor pinned, not the copy inside the export.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.audit.checkpoints import StoredCheckpoint
from gateway.audit.log import DecisionLog
from gateway.audit.signer import NoteVerifier
from gateway.audit.verify import (
    CheckpointClaim,
    LogVerificationError,
    LogVerifier,
    Progress,
    VerifyResult,
)

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "ExportManifest",
    "export_log",
    "read_claims",
    "read_leaves",
    "read_manifest",
    "verify_export",
    "write_leaf",
]

EXPORT_FORMAT = "taxpayer-gateway-log-export"
EXPORT_VERSION = 1
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class ExportManifest:
    origin: str
    size: int
    checkpoints: int

    def to_json(self) -> dict[str, Any]:
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "origin": self.origin,
            "size": self.size,
            "checkpoints": self.checkpoints,
        }


def write_leaf(out: Any, data: bytes) -> None:
    """Append one leaf to an open ``leaves.bin``."""
    out.write(_LENGTH.pack(len(data)))
    out.write(data)


def export_log(
    log: DecisionLog,
    checkpoints: Sequence[StoredCheckpoint],
    verifier: NoteVerifier,
    directory: Path,
    *,
    progress: Progress | None = None,
) -> ExportManifest:
    """Write the log (leaves, ``checkpoints``, public key) to ``directory``, which must be empty.

    ``checkpoints`` must have been read before this call, so that the leaves
    written (the whole log as it is now) cover every one of them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty")
    ordered = sorted(checkpoints, key=lambda c: c.size)
    size = 0
    with (directory / "leaves.bin").open("wb") as out:
        for entries in log.iter_entries():
            for e in entries:
                write_leaf(out, e.body)
            size = entries[-1].index + 1
            if progress is not None:
                progress(len(entries))
    with (directory / "checkpoints.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        for c in ordered:
            out.write(json.dumps({"size": c.size, "note": c.note}, ensure_ascii=False) + "\n")
    if ordered:
        (directory / "checkpoint.txt").write_bytes(ordered[-1].note.encode("utf-8"))
    (directory / "public-key.txt").write_text(verifier.verifier_key_text() + "\n", "ascii")
    manifest = ExportManifest(origin=verifier.name, size=size, checkpoints=len(ordered))
    (directory / "export.json").write_text(
        json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n", "utf-8"
    )
    return manifest


def read_manifest(directory: Path) -> ExportManifest:
    """Read ``export.json``; raises ValueError if it is not a version-1 export."""
    raw = json.loads((directory / "export.json").read_text("utf-8"))
    if raw.get("format") != EXPORT_FORMAT or raw.get("version") != EXPORT_VERSION:
        raise ValueError(f"{directory} is not a version {EXPORT_VERSION} decision-log export")
    return ExportManifest(
        origin=str(raw["origin"]), size=int(raw["size"]), checkpoints=int(raw["checkpoints"])
    )


def read_claims(directory: Path) -> list[CheckpointClaim]:
    """The checkpoints of an export, as stored (nothing verified yet)."""
    claims: list[CheckpointClaim] = []
    with (directory / "checkpoints.jsonl").open(encoding="utf-8", newline="\n") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                raw = json.loads(line)
                claims.append(CheckpointClaim(size=int(raw["size"]), note=str(raw["note"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise LogVerificationError(
                    0, f"checkpoints.jsonl line {number} is not a checkpoint record"
                ) from exc
    return claims


def read_leaves(directory: Path, *, chunk: int = 8192) -> Iterator[list[bytes]]:
    """The leaves of ``leaves.bin`` in order, in chunks; a torn last record is an error."""
    index = 0
    with (directory / "leaves.bin").open("rb", buffering=1 << 20) as f:
        batch: list[bytes] = []
        read = f.read
        while True:
            head = read(4)
            if not head:
                break
            if len(head) != 4:
                raise LogVerificationError(index, "leaves.bin ends inside a length prefix")
            (length,) = _LENGTH.unpack(head)
            data = read(length)
            if len(data) != length:
                raise LogVerificationError(index, "leaves.bin ends inside a leaf")
            batch.append(data)
            index += 1
            if len(batch) == chunk:
                yield batch
                batch = []
        if batch:
            yield batch


def verify_export(
    directory: Path,
    verifiers: Sequence[NoteVerifier],
    *,
    progress: Progress | None = None,
) -> VerifyResult:
    """Verify an export directory with no database and no gateway."""
    manifest = read_manifest(directory)
    verifier = LogVerifier(verifiers, read_claims(directory))
    index = 0
    for batch in read_leaves(directory):
        add = verifier.add
        for data in batch:
            add(index, data)
            index += 1
        if progress is not None:
            progress(len(batch))
    result = verifier.finish()
    if result.size != manifest.size:
        raise LogVerificationError(
            min(result.size, manifest.size),
            f"export.json announces {manifest.size} leaves but leaves.bin holds {result.size}",
        )
    return result
