"""Merkle tree hashing, proofs and proof verification, exactly as RFC 9162 §2.1.

RFC 9162 §2.1 is the same tree as RFC 6962 §2.1, so every RFC 6962/9162
verifier (transparency-dev/merkle, sigstore, Certificate Transparency clients)
agrees with the roots and proofs produced here.

What this module guarantees:

* Hashing is SHA-256 with domain separation: a leaf hashes as
  ``SHA-256(0x00 || data)``, an interior node as ``SHA-256(0x01 || left || right)``,
  and the empty tree as ``SHA-256("")``.
* Proofs are computed from a callback ``get_node(level, index)`` that returns
  the hash of the *complete* subtree of ``2**level`` leaves starting at leaf
  ``index * 2**level``. A store that keeps complete subtree hashes (as tlog tiles
  do, or as :class:`CompactRange` reports them) answers any proof or root in
  O(log n) reads; nothing here ever asks for an incomplete subtree.
* Proof verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
  (consistency) step by step, returns ``None`` on success and otherwise raises
  an :class:`~gateway.audit.errors.AuditVerificationError`:
  :class:`~gateway.audit.errors.MalformedProofError` when the proof cannot be a
  proof for the stated sizes (wrong length, element size, index or sizes) and
  :class:`~gateway.audit.errors.RootMismatchError` when it is well formed but
  leads to another root. Roots are compared with :func:`hmac.compare_digest`.
* A proof does not bind the tree size on its own: for some pairs of sizes
  the same proof leads to the same root (e.g. leaf 1 of sizes 3 and 4). Take
  the size and the root together from a verified checkpoint, never the size
  from whoever supplied the proof.
* Proof *generation* with impossible arguments (an index outside the tree)
  is a caller bug and raises :class:`ValueError`.

Everything here is pure: no I/O, no clock, no global state.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from gateway.audit.errors import MalformedProofError, RootMismatchError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "CompactRange",
    "GetNode",
    "Subtree",
    "consistency_proof",
    "consistency_proof_from_leaf_hashes",
    "inclusion_proof",
    "inclusion_proof_from_leaf_hashes",
    "leaf_hash",
    "leaf_hashes_node_getter",
    "node_hash",
    "root_from_inclusion",
    "root_from_leaf_hashes",
    "root_from_nodes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

MAX_TREE_SIZE = 2**64 - 1
"""Largest tree size a verifier accepts (RFC 9162 sizes are 64-bit)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root of the empty tree, ``MTH({}) = SHA-256("")`` (RFC 9162 §2.1.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

GetNode = Callable[[int, int], bytes]
"""``get_node(level, index)``: hash of the complete subtree of ``2**level``
leaves that starts at leaf ``index * 2**level``. Level 0 is the leaf hashes."""


@dataclass(frozen=True, slots=True)
class Subtree:
    """A complete subtree: ``2**level`` leaves starting at leaf ``index * 2**level``."""

    level: int
    index: int
    hash: bytes


def leaf_hash(data: bytes) -> bytes:
    """Return ``SHA-256(0x00 || data)``, the hash of one leaf (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return ``SHA-256(0x01 || left || right)``, the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Return the RFC 9162 root of a tree whose leaf hashes are ``hashes``.

    Iterative and O(n): hashes are paired level by level and an unpaired last
    node is carried up unchanged, which builds exactly the tree of RFC 9162
    §2.1.1 (the left subtree of every node is the largest power of two).
    """
    if not hashes:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    prefix = _NODE_PREFIX
    level = list(hashes)
    while len(level) > 1:
        paired = [
            sha256(prefix + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root_from_nodes(size: int, get_node: GetNode) -> bytes:
    """Return the root of the tree of ``size`` leaves in at most log2(size)+1 reads."""
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
    return _range_root(0, size, get_node)


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """Return the RFC 9162 §2.1.3.1 inclusion proof of leaf ``index`` in a tree of ``size``.

    The proof lists sibling hashes from the leaf up to the root. It costs at most
    about 2·log2(size) calls to ``get_node``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    return _path(index, size, 0, get_node)


def consistency_proof(first: int, second: int, get_node: GetNode) -> list[bytes]:
    """Return the RFC 9162 §2.1.4.1 consistency proof from tree size ``first`` to ``second``.

    Empty when ``first`` is 0 or equals ``second``. Otherwise the proof is the
    hash of the last complete subtree of the first tree (omitted when the first
    tree is itself complete, since the verifier holds its root) followed by that
    subtree's path to the root of the second tree.
    """
    if not 0 <= first <= second:
        raise ValueError(f"need 0 <= first <= second, got first={first}, second={second}")
    if first in (0, second):
        return []
    # The first tree ends with a complete subtree of 2**level leaves, where
    # level is the number of trailing zero bits of first.
    level = (first & -first).bit_length() - 1
    node = (first >> level) - 1
    proof = [] if node == 0 else [get_node(level, node)]
    proof.extend(_path(first - 1, second, level, get_node))
    return proof


def leaf_hashes_node_getter(leaf_hashes: Sequence[bytes]) -> GetNode:
    """Return a ``get_node`` over an in-memory list of leaf hashes.

    Subtree hashes are computed on first use and cached, so a sequence of
    proofs over the same list costs O(n) hashing in total.
    """
    cache: dict[tuple[int, int], bytes] = {}

    def get_node(level: int, index: int) -> bytes:
        begin = index << level
        end = begin + (1 << level)
        if index < 0 or end > len(leaf_hashes):
            raise ValueError(f"no complete subtree at level {level}, index {index}")
        if level == 0:
            return leaf_hashes[index]
        key = (level, index)
        found = cache.get(key)
        if found is None:
            found = node_hash(get_node(level - 1, 2 * index), get_node(level - 1, 2 * index + 1))
            cache[key] = found
        return found

    return get_node


def inclusion_proof_from_leaf_hashes(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Inclusion proof of leaf ``index`` in the tree of all of ``leaf_hashes``."""
    return inclusion_proof(index, len(leaf_hashes), leaf_hashes_node_getter(leaf_hashes))


def consistency_proof_from_leaf_hashes(first: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Consistency proof from the first ``first`` leaves to all of ``leaf_hashes``."""
    return consistency_proof(first, len(leaf_hashes), leaf_hashes_node_getter(leaf_hashes))


def root_from_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root that ``proof`` leads to from ``leaf_hash`` (RFC 9162 §2.1.3.2).

    Raises :class:`MalformedProofError` if ``index`` is not in a tree of
    ``size`` or the proof has the wrong length or element size.
    """
    _require_hash("leaf hash", leaf_hash)
    _require_proof_hashes(proof)
    # 1. The leaf must be in the tree, and the tree of a size RFC 9162 can express.
    if size > MAX_TREE_SIZE:
        raise MalformedProofError(f"tree size {size} does not fit in 64 bits")
    if not 0 <= index < size:
        raise MalformedProofError(f"leaf index {index} is not in a tree of size {size}")
    # 2. fn walks up from the leaf, sn from the last leaf of the tree.
    fn, sn = index, size - 1
    # 3. Start from the leaf hash.
    r = leaf_hash
    # 4. Fold in each proof element.
    for p in proof:
        # 4a. Nothing is left above us: the proof is too long.
        if sn == 0:
            raise MalformedProofError(
                f"inclusion proof for index {index} in size {size} has too many elements"
            )
        # 4b. p is a left sibling, or we are on the right edge and it is the
        #     next left sibling higher up (skip levels where we were promoted).
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        # 4c. Go up one level.
        fn >>= 1
        sn >>= 1
    # 5. The proof must reach the root exactly.
    if sn != 0:
        raise MalformedProofError(
            f"inclusion proof for index {index} in size {size} has too few elements"
        )
    return r


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Verify that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    Returns ``None`` or raises :class:`MalformedProofError` or
    :class:`RootMismatchError` (RFC 9162 §2.1.3.2).
    """
    _require_hash("root", root)
    calculated = root_from_inclusion(leaf_hash=leaf_hash, index=index, size=size, proof=proof)
    _require_equal_roots(expected=root, calculated=calculated)


def verify_consistency(
    *,
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Verify that the tree of ``second`` leaves extends the tree of ``first`` leaves.

    Follows RFC 9162 §2.1.4.2, and settles the cases it leaves to the caller:
    ``first > second`` is malformed; equal sizes need an empty proof and equal
    roots; a proof from size 0 must be empty and ``first_root`` must be the
    empty-tree root. Returns ``None`` or raises :class:`MalformedProofError` or
    :class:`RootMismatchError`.
    """
    _require_hash("first root", first_root)
    _require_hash("second root", second_root)
    _require_proof_hashes(proof)
    if first < 0:
        raise MalformedProofError(f"tree size must not be negative, got {first}")
    if first > second:
        raise MalformedProofError(f"first size {first} is greater than second size {second}")
    if second > MAX_TREE_SIZE:
        raise MalformedProofError(f"tree size {second} does not fit in 64 bits")
    if first == second:
        if proof:
            raise MalformedProofError("a consistency proof between equal sizes must be empty")
        _require_equal_roots(expected=first_root, calculated=second_root)
        return
    if first == 0:
        if proof:
            raise MalformedProofError("a consistency proof from the empty tree must be empty")
        _require_equal_roots(expected=first_root, calculated=EMPTY_ROOT)
        return
    # 1. Between different non-zero sizes the proof cannot be empty.
    if not proof:
        raise MalformedProofError(f"empty consistency proof from size {first} to {second}")
    # 2. A complete first tree is its own last subtree; the verifier holds its hash.
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    # 3. fn walks up from the last leaf of the first tree, sn from that of the second.
    fn, sn = first - 1, second - 1
    # 4. Skip the levels inside the first tree's last complete subtree.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Both reconstructions start from that subtree's hash.
    fr = sr = path[0]
    # 6. Fold in the remaining elements.
    for c in path[1:]:
        # 6a. Nothing is left above us: the proof is too long.
        if sn == 0:
            raise MalformedProofError(
                f"consistency proof from size {first} to {second} has too many elements"
            )
        # 6b. A left sibling belongs to both trees; a right one only to the second.
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        # 6c. Go up one level.
        fn >>= 1
        sn >>= 1
    # 7. The proof must reach the second root exactly, and both roots must match.
    if sn != 0:
        raise MalformedProofError(
            f"consistency proof from size {first} to {second} has too few elements"
        )
    _require_equal_roots(expected=first_root, calculated=fr)
    _require_equal_roots(expected=second_root, calculated=sr)


class CompactRange:
    """The frontier of a growing tree: enough state to append and to compute the root.

    It holds one hash per set bit of the size: the complete subtrees that the
    leaves ``[0, size)`` decompose into, largest (leftmost) first. Appending a
    leaf costs O(log n) hashes and reports every subtree that the append
    completed, so a storage layer that persists them can later answer
    ``get_node`` for any proof. :meth:`root` costs O(log n) hashes.
    """

    __slots__ = ("_frontier", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._frontier: list[bytes] = []

    @staticmethod
    def frontier_positions(size: int) -> list[tuple[int, int]]:
        """``(level, index)`` of the frontier subtrees of a tree of ``size``, left to right."""
        if size < 0:
            raise ValueError(f"tree size must not be negative, got {size}")
        return [
            (level, (size >> level) - 1)
            for level in reversed(range(size.bit_length()))
            if size >> level & 1
        ]

    @classmethod
    def from_frontier(cls, size: int, frontier: Sequence[bytes]) -> CompactRange:
        """Resume from a stored frontier (the hashes at :meth:`frontier_positions`)."""
        positions = cls.frontier_positions(size)
        if len(frontier) != len(positions):
            raise ValueError(
                f"a tree of size {size} has {len(positions)} frontier hashes, got {len(frontier)}"
            )
        for h in frontier:
            if len(h) != HASH_SIZE:
                raise ValueError(f"frontier hashes are {HASH_SIZE} bytes, got {len(h)}")
        compact = cls()
        compact._size = size
        compact._frontier = list(frontier)
        return compact

    @classmethod
    def from_nodes(cls, size: int, get_node: GetNode) -> CompactRange:
        """Resume from stored complete subtrees, in at most log2(size)+1 reads."""
        positions = cls.frontier_positions(size)
        return cls.from_frontier(size, [get_node(level, index) for level, index in positions])

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """Hashes of the subtrees at :meth:`frontier_positions` of :attr:`size`."""
        return tuple(self._frontier)

    def append(self, leaf_hash: bytes) -> list[Subtree]:
        """Append one leaf hash; return the subtrees it completed, smallest first.

        The first is always the leaf itself at level 0; each further one is the
        parent completed by merging with a left sibling from the frontier.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hashes are {HASH_SIZE} bytes, got {len(leaf_hash)}")
        index = self._size
        completed = [Subtree(0, index, leaf_hash)]
        h = leaf_hash
        level = 0
        # Every set low bit of the old size is a complete left sibling to merge with.
        while index >> level & 1:
            h = node_hash(self._frontier.pop(), h)
            level += 1
            completed.append(Subtree(level, index >> level, h))
        self._frontier.append(h)
        self._size = index + 1
        return completed

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[Subtree]:
        """Append several leaf hashes; return every subtree they completed, in order."""
        completed: list[Subtree] = []
        for h in leaf_hashes:
            completed.extend(self.append(h))
        return completed

    def root(self) -> bytes:
        """Root of the tree of the leaves appended so far (RFC 9162 §2.1.1)."""
        if not self._frontier:
            return EMPTY_ROOT
        h = self._frontier[-1]
        for left in reversed(self._frontier[:-1]):
            h = node_hash(left, h)
        return h


def _path(leaf: int, size: int, from_level: int, get_node: GetNode) -> list[bytes]:
    """Siblings on the way from ``leaf``'s ancestor at ``from_level`` to the root of ``size``."""
    # Below level `inner` the paths from `leaf` and from the last leaf differ,
    # so every sibling there is a real subtree; at level inner-1 the sibling is
    # on the right edge of the tree and may be incomplete. From `inner` up the
    # two paths coincide and only left siblings (set bits of leaf) exist.
    inner = (leaf ^ (size - 1)).bit_length()
    proof: list[bytes] = []
    for level in range(from_level, inner):
        sibling = (leaf >> level) ^ 1
        if level == inner - 1:
            proof.append(_range_root(sibling << level, size, get_node))
        else:
            proof.append(get_node(level, sibling))
    node = leaf >> inner
    level = inner
    while node:
        if node & 1:
            proof.append(get_node(level, node - 1))
        node >>= 1
        level += 1
    return proof


def _range_root(begin: int, end: int, get_node: GetNode) -> bytes:
    """RFC 9162 root of leaves ``[begin, end)``.

    ``begin`` must be a multiple of the largest power of two not above
    ``end - begin``; then the range splits left to right into complete subtrees
    of decreasing size (the set bits of its length), folded right to left.
    """
    count = end - begin
    if count == 0:
        return EMPTY_ROOT
    nodes: list[bytes] = []
    position = begin
    for level in reversed(range(count.bit_length())):
        if count >> level & 1:
            nodes.append(get_node(level, position >> level))
            position += 1 << level
    h = nodes[-1]
    for left in reversed(nodes[:-1]):
        h = node_hash(left, h)
    return h


def _require_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise MalformedProofError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _require_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, element in enumerate(proof):
        if len(element) != HASH_SIZE:
            raise MalformedProofError(
                f"proof element {position} must be {HASH_SIZE} bytes, got {len(element)}"
            )


def _require_equal_roots(*, expected: bytes, calculated: bytes) -> None:
    if not hmac.compare_digest(expected, calculated):
        raise RootMismatchError(expected, calculated)
