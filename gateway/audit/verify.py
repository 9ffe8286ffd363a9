"""Verify a whole decision log: every leaf, every stored subtree, every signed checkpoint.

One streaming verifier (:class:`LogVerifier`) serves both sources:

* the database (:func:`verify_database`, ``gateway audit verify``), where it
  also checks what the gateway stored beside each leaf: its leaf hash and the
  complete subtree hashes written at append time; and
* an export directory (:func:`gateway.audit.export.verify_export`,
  ``gateway audit verify --offline DIR``), which needs no database and no
  gateway, only the export and the log's public key.

What it guarantees:

1. Every checkpoint's signed note verifies with the key in force at its
   size, whose name is the checkpoint's origin; the size and root stored
   beside the note are the ones it signs; sizes strictly increase. The key in
   force starts as the pinned key and changes only at a checkpoint key
   rotation leaf the key in force signed (:mod:`gateway.audit.rotation`), for
   every checkpoint larger than that leaf's index; a forged or unsigned key
   record fails at its own index.
2. Leaves are contiguous from index 0; each leaf hash is re-derived from the
   leaf's bytes (``SHA-256(0x00 || bytes)``) and compared with what was stored.
3. Every complete subtree is re-derived (RFC 9162) and compared with the
   stored one (database only).
4. The root re-derived at each checkpoint's size equals the signed root.
   Since all roots come from one sequence of leaves, every checkpoint is an
   append-only extension of every earlier one; the database check also
   verifies the consistency proofs the log serves between them.

The first failure raises :class:`LogVerificationError`, which names the first
index the evidence no longer supports and says what is wrong. Leaves after
the newest checkpoint are verified for internal consistency and reported as
not yet covered by a signed checkpoint.
"""

from __future__ import annotations

import hmac
import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gateway.audit.checkpoint import Checkpoint, open_note, verify_checkpoint_consistency
from gateway.audit.checkpoints import StoredCheckpoint
from gateway.audit.errors import AuditVerificationError
from gateway.audit.log import DecisionLog, node_position
from gateway.audit.merkle import EMPTY_ROOT, CompactRange, leaf_hash
from gateway.audit.rotation import KeyChain, is_key_record, parse_key_record
from gateway.audit.signer import NoteVerifier

__all__ = [
    "CheckpointClaim",
    "LogVerificationError",
    "LogVerifier",
    "VerifyResult",
    "completed_positions",
    "verify_database",
]

Progress = Callable[[int], None]


class LogVerificationError(AuditVerificationError):
    """The log's evidence fails at ``index``: the first leaf index it no longer supports."""

    def __init__(self, index: int, problem: str) -> None:
        super().__init__(f"index {index}: {problem}")
        self.index = index
        self.problem = problem


@dataclass(frozen=True)
class CheckpointClaim:
    """A stored checkpoint as its store states it: size, signed note, and root (if stored)."""

    size: int
    note: str
    root: bytes | None = None


@dataclass(frozen=True)
class VerifyResult:
    """What a verification established."""

    size: int
    checkpoints: int
    latest: Checkpoint | None
    rotations: int = 0
    """Checkpoint key rotations followed from the pinned key."""
    key: NoteVerifier | None = None
    """The checkpoint key in force at the end of the log."""

    @property
    def uncovered(self) -> int:
        """Leaves after the newest checkpoint (verified, but not yet signed for)."""
        return self.size - (self.latest.size if self.latest else 0)


def completed_positions(index: int) -> list[int]:
    """In-order positions of the subtrees that appending leaf ``index`` completes."""
    positions = [node_position(0, index)]
    level = 0
    while index >> level & 1:
        level += 1
        positions.append(node_position(level, index >> level))
    return positions


class LogVerifier:
    """Feed it the leaves in order; it raises :class:`LogVerificationError` at the first fault."""

    def __init__(
        self, verifiers: Sequence[NoteVerifier], claims: Sequence[CheckpointClaim]
    ) -> None:
        self._tree = CompactRange()
        self._chain = KeyChain(verifiers)
        self._opened: list[Checkpoint] = []
        self._roots: dict[int, bytes] = {}
        previous = -1
        for claim in claims:
            if claim.size <= previous:
                raise LogVerificationError(
                    max(claim.size - 1, 0),
                    f"checkpoint sizes do not increase ({previous} then {claim.size})",
                )
            previous = claim.size
        self._pending = deque(claims)
        self._covered: Checkpoint | None = None
        self._check_checkpoints()

    @property
    def size(self) -> int:
        return self._tree.size

    @property
    def checkpoints(self) -> list[Checkpoint]:
        return list(self._opened)

    @property
    def keys(self) -> tuple[NoteVerifier, ...]:
        """The checkpoint key in force after the leaves fed so far."""
        return self._chain.current

    def _open(self, claim: CheckpointClaim) -> Checkpoint:
        """1. Signed by the key in force at the claim's size, named after the origin."""
        where = max(claim.size - 1, 0)
        try:
            checkpoint = open_note(claim.note, self._chain.current)
        except AuditVerificationError as exc:
            raise LogVerificationError(
                where,
                f"the checkpoint stored for size {claim.size} does not verify with the key in"
                f" force at that size ({self._describe_keys()}): {exc}",
            ) from exc
        if checkpoint.size != claim.size:
            raise LogVerificationError(
                where,
                f"the checkpoint stored for size {claim.size} is signed for size {checkpoint.size}",
            )
        if claim.root is not None and not hmac.compare_digest(claim.root, checkpoint.root):
            raise LogVerificationError(
                where, f"the root stored for size {claim.size} is not the signed root"
            )
        if self._opened and checkpoint.origin != self._opened[0].origin:
            raise LogVerificationError(where, "checkpoints name different logs")
        self._opened.append(checkpoint)
        return checkpoint

    def _describe_keys(self) -> str:
        return "/".join(v.key_id.hex() for v in self._chain.current)

    def add(
        self,
        index: int,
        data: bytes,
        *,
        stored_leaf_hash: bytes | None = None,
        stored_nodes: dict[int, bytes] | None = None,
    ) -> None:
        """Check leaf ``index`` with bytes ``data`` and what was stored beside it."""
        expected = self._tree.size
        # 2. Contiguous from 0.
        if index != expected:
            if index > expected:
                raise LogVerificationError(expected, "the leaf is missing")
            raise LogVerificationError(index, "the leaf appears more than once")
        h = leaf_hash(data)
        if stored_leaf_hash is not None and stored_leaf_hash != h:
            raise LogVerificationError(
                index, "the stored leaf hash is not the hash of the stored leaf bytes"
            )
        completed = self._tree.append(h)
        # 3. Stored subtrees.
        if stored_nodes is not None:
            for subtree in completed:
                got = stored_nodes.get(node_position(subtree.level, subtree.index))
                first = subtree.index << subtree.level
                if got is None:
                    raise LogVerificationError(
                        first, f"the tree has no stored hash for level {subtree.level} here"
                    )
                if got != subtree.hash:
                    if subtree.level == 0:
                        raise LogVerificationError(
                            index,
                            "the leaf bytes do not hash to the leaf hash the tree recorded"
                            " when it was appended",
                        )
                    raise LogVerificationError(
                        first,
                        f"the stored hash of leaves {first}..{index} differs from the hash"
                        " of those leaves",
                    )
        # 4. A checkpoint key record changes the key for every larger checkpoint.
        if is_key_record(data):
            try:
                record = parse_key_record(index, data)
                if record is not None:
                    self._chain.apply(record, self._roots.get)
            except AuditVerificationError as exc:
                raise LogVerificationError(index, str(exc)) from exc
        # 5. Signed roots.
        self._check_checkpoints()

    def _check_checkpoints(self) -> None:
        while self._pending and self._pending[0].size == self._tree.size:
            checkpoint = self._open(self._pending.popleft())
            root = self._tree.root() if checkpoint.size else EMPTY_ROOT
            if not hmac.compare_digest(root, checkpoint.root):
                start = self._covered.size if self._covered else 0
                raise LogVerificationError(
                    start,
                    f"the leaves do not reproduce the root signed for size {checkpoint.size};"
                    f" the first altered leaf is among indices {start}..{checkpoint.size - 1}",
                )
            self._roots[checkpoint.size] = checkpoint.root
            self._covered = checkpoint

    def finish(self) -> VerifyResult:
        """All leaves fed: every checkpoint must have been reached."""
        if self._pending:
            missing = self._pending[0]
            raise LogVerificationError(
                self._tree.size,
                f"the log ends at size {self._tree.size} but a checkpoint was signed for size"
                f" {missing.size}: leaves {self._tree.size}..{missing.size - 1} are missing",
            )
        return VerifyResult(
            self._tree.size,
            len(self._opened),
            self._covered,
            rotations=self._chain.rotations,
            key=self._chain.current[0],
        )


def verify_database(
    log: DecisionLog,
    checkpoints: Sequence[StoredCheckpoint],
    verifiers: Sequence[NoteVerifier],
    *,
    progress: Progress | None = None,
    chunk: int = 4096,
) -> VerifyResult:
    """Verify the stored log: leaves, leaf hashes, tree nodes, checkpoints, served proofs."""
    verifier = LogVerifier(
        verifiers, [CheckpointClaim(c.size, c.note, c.root) for c in checkpoints]
    )
    for entries in log.iter_entries(chunk=chunk):
        positions = [p for e in entries for p in completed_positions(e.index)]
        stored = log.stored_nodes(positions)
        for e in entries:
            verifier.add(e.index, e.body, stored_leaf_hash=e.leaf_hash, stored_nodes=stored)
        if progress is not None:
            progress(len(entries))
    result = verifier.finish()
    opened = verifier.checkpoints
    for older, newer in itertools.pairwise(opened):
        try:
            proof = log.consistency_proof(older.size, newer.size)
            verify_checkpoint_consistency(older, newer, proof)
        except AuditVerificationError as exc:
            raise LogVerificationError(
                max(newer.size - 1, 0),
                f"the log serves no valid consistency proof from size {older.size} to"
                f" {newer.size}: {exc}",
            ) from exc
    return result
