"""RFC 9162 §2.1 Merkle tree: the fast code against the recursive definitions."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.audit.errors import AuditVerificationError, MalformedProofError, RootMismatchError
from gateway.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Subtree,
    consistency_proof,
    consistency_proof_from_leaf_hashes,
    inclusion_proof,
    inclusion_proof_from_leaf_hashes,
    leaf_hash,
    leaf_hashes_node_getter,
    node_hash,
    root_from_inclusion,
    root_from_leaf_hashes,
    root_from_nodes,
    verify_consistency,
    verify_inclusion,
)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def reference_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 9162 §2.1.1 defines it, over raw leaf data."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:]))


class ReferenceTree:
    """PATH and PROOF of RFC 9162 §2.1.3.1 and §2.1.4.1, recursively, over fixed leaves.

    Subtree roots are memoized by range so that exhaustive loops stay fast; the
    recursion itself is the RFC's.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self._roots: dict[tuple[int, int], bytes] = {}

    def mth(self, begin: int, end: int) -> bytes:
        if (begin, end) not in self._roots:
            self._roots[begin, end] = reference_root(self.leaves[begin:end])
        return self._roots[begin, end]

    @staticmethod
    def _split(n: int) -> int:
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def path(self, m: int, begin: int, end: int) -> list[bytes]:
        n = end - begin
        if n == 1:
            return []
        k = self._split(n)
        if m < k:
            return [*self.path(m, begin, begin + k), self.mth(begin + k, end)]
        return [*self.path(m - k, begin + k, end), self.mth(begin, begin + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        return self._subproof(m, 0, n, complete=True) if 0 < m < n else []

    def _subproof(self, m: int, begin: int, end: int, *, complete: bool) -> list[bytes]:
        n = end - begin
        if m == n:
            return [] if complete else [self.mth(begin, end)]
        k = self._split(n)
        if m <= k:
            return [
                *self._subproof(m, begin, begin + k, complete=complete),
                self.mth(begin + k, end),
            ]
        return [*self._subproof(m - k, begin + k, end, complete=False), self.mth(begin, begin + k)]


RFC6962_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
LEAVES = [f"decision {i}".encode() for i in range(1100)]
LEAF_HASHES = [leaf_hash(data) for data in LEAVES]
REFERENCE = ReferenceTree(LEAVES)


def _stored_subtrees() -> dict[tuple[int, int], bytes]:
    """Every complete subtree hash of LEAVES, as a storage layer would keep them."""
    compact = CompactRange()
    return {(s.level, s.index): s.hash for s in compact.extend(LEAF_HASHES)}


STORED = _stored_subtrees()


def get_node(level: int, index: int) -> bytes:
    return STORED[level, index]


def flip_bit(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


# --- hashing and roots -----------------------------------------------------------


def test_reference_leaves_have_the_published_roots() -> None:
    leaves = RFC6962_LEAVES
    published = {
        0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    }
    for size, root in published.items():
        assert root_from_leaf_hashes([leaf_hash(x) for x in leaves[:size]]).hex() == root
        assert reference_root(leaves[:size]).hex() == root


def test_empty_tree_root_is_sha256_of_the_empty_string() -> None:
    assert sha256(b"") == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert root_from_nodes(0, get_node) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    left, right = sha256(b"l"), sha256(b"r")
    assert leaf_hash(b"data") == sha256(b"\x00data")
    assert node_hash(left, right) == sha256(b"\x01" + left + right)
    # A node can never pass for a leaf with the same bytes, and vice versa.
    assert leaf_hash(left + right) != node_hash(left, right)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=8), max_size=140))
def test_fast_root_equals_the_recursive_definition(leaves: list[bytes]) -> None:
    hashes = [leaf_hash(data) for data in leaves]
    expected = reference_root(leaves)
    assert root_from_leaf_hashes(hashes) == expected
    assert root_from_nodes(len(hashes), leaf_hashes_node_getter(hashes)) == expected
    compact = CompactRange()
    compact.extend(hashes)
    assert compact.root() == expected


def test_root_from_stored_nodes_equals_root_from_leaf_hashes_at_every_size() -> None:
    for size in range(len(LEAF_HASHES) + 1):
        assert root_from_nodes(size, get_node) == REFERENCE.mth(0, size)


# --- proofs against the recursive definitions ----------------------------------------


def test_every_inclusion_proof_up_to_size_64_verifies_and_is_the_rfc_path() -> None:
    for size in range(1, 65):
        root = REFERENCE.mth(0, size)
        for index in range(size):
            proof = inclusion_proof(index, size, get_node)
            assert proof == REFERENCE.path(index, 0, size)
            verify_inclusion(
                leaf_hash=LEAF_HASHES[index], index=index, size=size, proof=proof, root=root
            )


def test_every_consistency_proof_up_to_size_64_verifies_and_is_the_rfc_proof() -> None:
    for second in range(65):
        second_root = REFERENCE.mth(0, second)
        for first in range(second + 1):
            proof = consistency_proof(first, second, get_node)
            assert proof == REFERENCE.proof(first, second)
            verify_consistency(
                first=first,
                second=second,
                first_root=REFERENCE.mth(0, first),
                second_root=second_root,
                proof=proof,
            )


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_proofs_in_large_trees_verify_and_are_the_rfc_proofs(data: st.DataObject) -> None:
    second = data.draw(st.integers(1, len(LEAVES)), label="size")
    index = data.draw(st.integers(0, second - 1), label="index")
    first = data.draw(st.integers(0, second), label="first")
    proof = inclusion_proof(index, second, get_node)
    assert proof == REFERENCE.path(index, 0, second)
    verify_inclusion(
        leaf_hash=LEAF_HASHES[index],
        index=index,
        size=second,
        proof=proof,
        root=REFERENCE.mth(0, second),
    )
    proof = consistency_proof(first, second, get_node)
    assert proof == REFERENCE.proof(first, second)
    verify_consistency(
        first=first,
        second=second,
        first_root=REFERENCE.mth(0, first),
        second_root=REFERENCE.mth(0, second),
        proof=proof,
    )


def test_transparency_dev_consistency_proof_from_one_to_eight_is_reproduced() -> None:
    # transparency-dev/merkle testdata/consistency/1/happy-path.json
    expected = [
        "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
        "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
        "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=",
    ]
    proof = consistency_proof_from_leaf_hashes(1, [leaf_hash(x) for x in RFC6962_LEAVES])
    assert [base64.b64encode(p).decode() for p in proof] == expected


def test_in_memory_proofs_equal_proofs_from_stored_nodes() -> None:
    hashes = LEAF_HASHES[:77]
    for index in range(77):
        assert inclusion_proof_from_leaf_hashes(index, hashes) == inclusion_proof(
            index, 77, get_node
        )
    for first in range(78):
        assert consistency_proof_from_leaf_hashes(first, hashes) == consistency_proof(
            first, 77, get_node
        )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_proofs_read_only_complete_subtrees_and_at_most_two_per_level(
    data: st.DataObject,
) -> None:
    size = data.draw(st.integers(1, 2**63), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(0, size), label="first")
    reads: list[tuple[int, int]] = []

    def counting_get_node(level: int, node: int) -> bytes:
        assert node >= 0
        assert (node + 1) << level <= size, "asked for an incomplete subtree"
        reads.append((level, node))
        return sha256(f"{level}/{node}".encode())

    inclusion_proof(index, size, counting_get_node)
    assert len(reads) <= 2 * size.bit_length()
    reads.clear()
    consistency_proof(first, size, counting_get_node)
    assert len(reads) <= 2 * size.bit_length() + 1
    reads.clear()
    root_from_nodes(size, counting_get_node)
    assert len(reads) == size.bit_count()


# --- every bit flip fails ------------------------------------------------------------


def test_flipping_any_bit_of_any_inclusion_proof_element_fails_up_to_size_16() -> None:
    for size in range(1, 17):
        root = REFERENCE.mth(0, size)
        for index in range(size):
            proof = inclusion_proof(index, size, get_node)
            for position, element in enumerate(proof):
                for bit in range(256):
                    bad = [*proof[:position], flip_bit(element, bit), *proof[position + 1 :]]
                    with pytest.raises(RootMismatchError):
                        verify_inclusion(
                            leaf_hash=LEAF_HASHES[index],
                            index=index,
                            size=size,
                            proof=bad,
                            root=root,
                        )


def test_flipping_any_bit_of_any_consistency_proof_element_fails_up_to_size_16() -> None:
    for second in range(2, 17):
        for first in range(1, second):
            proof = consistency_proof(first, second, get_node)
            for position, element in enumerate(proof):
                for bit in range(256):
                    bad = [*proof[:position], flip_bit(element, bit), *proof[position + 1 :]]
                    with pytest.raises(RootMismatchError):
                        verify_consistency(
                            first=first,
                            second=second,
                            first_root=REFERENCE.mth(0, first),
                            second_root=REFERENCE.mth(0, second),
                            proof=bad,
                        )


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_flipping_a_bit_of_a_proof_in_a_large_tree_fails(data: st.DataObject) -> None:
    second = data.draw(st.integers(17, len(LEAVES)), label="size")
    first = data.draw(st.integers(1, second - 1), label="first")
    index = data.draw(st.integers(0, second - 1), label="index")
    bit = data.draw(st.integers(0, 255), label="bit")

    proof = inclusion_proof(index, second, get_node)
    position = data.draw(st.integers(0, len(proof) - 1), label="inclusion element")
    proof[position] = flip_bit(proof[position], bit)
    with pytest.raises(RootMismatchError):
        verify_inclusion(
            leaf_hash=LEAF_HASHES[index],
            index=index,
            size=second,
            proof=proof,
            root=REFERENCE.mth(0, second),
        )

    proof = consistency_proof(first, second, get_node)
    position = data.draw(st.integers(0, len(proof) - 1), label="consistency element")
    proof[position] = flip_bit(proof[position], bit)
    with pytest.raises(RootMismatchError):
        verify_consistency(
            first=first,
            second=second,
            first_root=REFERENCE.mth(0, first),
            second_root=REFERENCE.mth(0, second),
            proof=proof,
        )


# --- what verification rejects ------------------------------------------------------


def test_inclusion_rejects_an_index_outside_the_tree() -> None:
    good = inclusion_proof(3, 8, get_node)
    for index, size in [(8, 8), (9, 8), (-1, 8), (0, 0)]:
        with pytest.raises(MalformedProofError):
            verify_inclusion(
                leaf_hash=LEAF_HASHES[3],
                index=index,
                size=size,
                proof=good,
                root=REFERENCE.mth(0, 8),
            )


def test_verification_rejects_sizes_beyond_64_bits() -> None:
    with pytest.raises(MalformedProofError, match="64 bits"):
        root_from_inclusion(leaf_hash=LEAF_HASHES[0], index=0, size=2**64, proof=[EMPTY_ROOT] * 64)
    with pytest.raises(MalformedProofError, match="64 bits"):
        check_consistency(
            2**64 - 1, 2**64, [EMPTY_ROOT], first_root=EMPTY_ROOT, second_root=EMPTY_ROOT
        )


def test_inclusion_rejects_proofs_of_the_wrong_length() -> None:
    good = inclusion_proof(3, 8, get_node)
    for proof in (good[:-1], [*good, good[0]], [], [good[0], *good]):
        with pytest.raises(MalformedProofError):
            root_from_inclusion(leaf_hash=LEAF_HASHES[3], index=3, size=8, proof=proof)


def test_inclusion_rejects_hashes_that_are_not_32_bytes() -> None:
    good = inclusion_proof(3, 8, get_node)
    root = REFERENCE.mth(0, 8)
    with pytest.raises(MalformedProofError):
        verify_inclusion(leaf_hash=LEAF_HASHES[3][:31], index=3, size=8, proof=good, root=root)
    with pytest.raises(MalformedProofError):
        verify_inclusion(leaf_hash=LEAF_HASHES[3], index=3, size=8, proof=good, root=root + b"0")
    with pytest.raises(MalformedProofError):
        verify_inclusion(
            leaf_hash=LEAF_HASHES[3], index=3, size=8, proof=[*good[:-1], b"x" * 33], root=root
        )


def test_inclusion_of_another_leaf_reports_both_roots() -> None:
    root = REFERENCE.mth(0, 8)
    proof = inclusion_proof(3, 8, get_node)
    with pytest.raises(RootMismatchError) as caught:
        verify_inclusion(leaf_hash=LEAF_HASHES[4], index=3, size=8, proof=proof, root=root)
    assert caught.value.expected == root
    assert caught.value.calculated == root_from_inclusion(
        leaf_hash=LEAF_HASHES[4], index=3, size=8, proof=proof
    )
    assert root.hex() in str(caught.value)


def test_single_leaf_tree_has_an_empty_inclusion_proof_equal_to_its_leaf_hash() -> None:
    assert inclusion_proof(0, 1, get_node) == []
    verify_inclusion(leaf_hash=LEAF_HASHES[0], index=0, size=1, proof=[], root=REFERENCE.mth(0, 1))


def check_consistency(
    first: int,
    second: int,
    proof: Sequence[bytes],
    *,
    first_root: bytes | None = None,
    second_root: bytes | None = None,
) -> None:
    """verify_consistency with the true roots unless told otherwise."""
    verify_consistency(
        first=first,
        second=second,
        first_root=REFERENCE.mth(0, first) if first_root is None else first_root,
        second_root=REFERENCE.mth(0, second) if second_root is None else second_root,
        proof=proof,
    )


def test_consistency_rejects_first_greater_than_second() -> None:
    with pytest.raises(MalformedProofError, match="greater"):
        check_consistency(7, 3, consistency_proof(3, 7, get_node))


def test_consistency_rejects_negative_sizes() -> None:
    with pytest.raises(MalformedProofError):
        verify_consistency(
            first=-1, second=3, first_root=EMPTY_ROOT, second_root=REFERENCE.mth(0, 3), proof=[]
        )


def test_consistency_between_equal_sizes_needs_an_empty_proof_and_equal_roots() -> None:
    root = REFERENCE.mth(0, 5)
    verify_consistency(first=5, second=5, first_root=root, second_root=root, proof=[])
    with pytest.raises(MalformedProofError):
        verify_consistency(first=5, second=5, first_root=root, second_root=root, proof=[root])
    with pytest.raises(RootMismatchError):
        verify_consistency(
            first=5, second=5, first_root=root, second_root=REFERENCE.mth(0, 4), proof=[]
        )


def test_consistency_from_size_zero_needs_an_empty_proof_and_the_empty_root() -> None:
    second_root = REFERENCE.mth(0, 6)
    verify_consistency(first=0, second=6, first_root=EMPTY_ROOT, second_root=second_root, proof=[])
    with pytest.raises(MalformedProofError):
        verify_consistency(
            first=0, second=6, first_root=EMPTY_ROOT, second_root=second_root, proof=[EMPTY_ROOT]
        )
    with pytest.raises(RootMismatchError):
        verify_consistency(
            first=0, second=6, first_root=second_root, second_root=second_root, proof=[]
        )


def test_consistency_between_different_sizes_rejects_an_empty_proof() -> None:
    for first in (1, 3, 4):
        with pytest.raises(MalformedProofError, match="empty"):
            check_consistency(first, 8, [])


def test_consistency_rejects_proofs_of_the_wrong_length() -> None:
    for first, second in [(1, 8), (3, 7), (4, 8), (6, 8), (5, 13)]:
        good = consistency_proof(first, second, get_node)
        for proof in (good[:-1], [*good, good[0]], [good[0], *good]):
            if not proof:
                continue
            with pytest.raises(MalformedProofError):
                check_consistency(first, second, proof)


def test_consistency_rejects_a_wrong_root_for_either_tree() -> None:
    proof = consistency_proof(3, 7, get_node)
    with pytest.raises(RootMismatchError) as caught:
        check_consistency(3, 7, proof, first_root=REFERENCE.mth(0, 2))
    assert caught.value.expected == REFERENCE.mth(0, 2)
    with pytest.raises(RootMismatchError) as caught:
        check_consistency(3, 7, proof, second_root=REFERENCE.mth(0, 6))
    assert caught.value.expected == REFERENCE.mth(0, 6)


def test_consistency_rejects_hashes_that_are_not_32_bytes() -> None:
    proof = consistency_proof(3, 7, get_node)
    with pytest.raises(MalformedProofError):
        check_consistency(3, 7, proof, first_root=b"short")
    with pytest.raises(MalformedProofError):
        check_consistency(3, 7, proof, second_root=b"short")
    with pytest.raises(MalformedProofError):
        check_consistency(3, 7, [*proof[:-1], proof[-1][:31]])


def test_every_verification_failure_is_an_audit_verification_error() -> None:
    for error in (RootMismatchError(b"a", b"b"), MalformedProofError("x")):
        assert isinstance(error, AuditVerificationError)


# --- proof generation refuses impossible requests -----------------------------------


def test_proof_generation_rejects_impossible_arguments() -> None:
    for index, size in [(0, 0), (5, 5), (-1, 5)]:
        with pytest.raises(ValueError, match="not in a tree"):
            inclusion_proof(index, size, get_node)
    for first, second in [(6, 5), (-1, 5)]:
        with pytest.raises(ValueError, match="first <= second"):
            consistency_proof(first, second, get_node)
    with pytest.raises(ValueError, match="negative"):
        root_from_nodes(-1, get_node)


def test_in_memory_node_getter_refuses_incomplete_subtrees() -> None:
    getter = leaf_hashes_node_getter(LEAF_HASHES[:5])
    assert getter(2, 0) == REFERENCE.mth(0, 4)
    assert getter(2, 0) == REFERENCE.mth(0, 4)  # served from its cache
    with pytest.raises(ValueError, match="no complete subtree"):
        getter(1, 2)
    with pytest.raises(ValueError, match="no complete subtree"):
        getter(0, -1)


# --- the compact range ------------------------------------------------------------------


def test_compact_range_root_equals_the_reference_at_every_size_up_to_300() -> None:
    compact = CompactRange()
    assert compact.root() == reference_root([])
    for size in range(1, 301):
        compact.append(LEAF_HASHES[size - 1])
        assert compact.size == size
        assert compact.root() == reference_root(LEAVES[:size])


def test_compact_range_reports_each_complete_subtree_once_with_its_reference_hash() -> None:
    compact = CompactRange()
    for size in range(1, 301):
        completed = compact.append(LEAF_HASHES[size - 1])
        # Exactly the subtrees whose last leaf is the new leaf, smallest first.
        expected_positions = [
            (level, (size >> level) - 1)
            for level in range(size.bit_length())
            if size % (1 << level) == 0
        ]
        assert [(s.level, s.index) for s in completed] == expected_positions
        for subtree in completed:
            begin = subtree.index << subtree.level
            end = begin + (1 << subtree.level)
            assert subtree.hash == REFERENCE.mth(begin, end)


def test_compact_range_frontier_is_the_subtrees_of_the_set_bits_of_the_size() -> None:
    compact = CompactRange()
    compact.extend(LEAF_HASHES[:13])
    assert CompactRange.frontier_positions(13) == [(3, 0), (2, 2), (0, 12)]
    assert compact.frontier == (REFERENCE.mth(0, 8), REFERENCE.mth(8, 12), REFERENCE.mth(12, 13))


def test_compact_range_resumed_from_storage_continues_like_the_original() -> None:
    original = CompactRange()
    original.extend(LEAF_HASHES[:37])
    resumed = CompactRange.from_nodes(37, get_node)
    same = CompactRange.from_frontier(37, original.frontier)
    assert resumed.root() == same.root() == original.root()
    added = [resumed.append(h) for h in LEAF_HASHES[37:70]]
    assert added == [original.append(h) for h in LEAF_HASHES[37:70]]
    assert resumed.root() == original.root() == REFERENCE.mth(0, 70)


def test_compact_range_refuses_inconsistent_state_and_bad_leaf_hashes() -> None:
    with pytest.raises(ValueError, match="frontier hashes"):
        CompactRange.from_frontier(3, [EMPTY_ROOT])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange.from_frontier(1, [b"short"])
    with pytest.raises(ValueError, match="negative"):
        CompactRange.frontier_positions(-1)
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"not a hash")


def test_subtree_is_a_value() -> None:
    assert Subtree(1, 2, EMPTY_ROOT) == Subtree(level=1, index=2, hash=EMPTY_ROOT)


def test_a_proof_alone_does_not_bind_the_tree_size() -> None:
    # Leaf 1 of a tree of 3 has the same proof shape as in a tree of 4, so the
    # proof for size 3 "verifies" against size 4 with the size-3 root. Sizes
    # must come with their roots from a verified checkpoint.
    proof = inclusion_proof(1, 3, get_node)
    for claimed_size in (3, 4):
        verify_inclusion(
            leaf_hash=LEAF_HASHES[1],
            index=1,
            size=claimed_size,
            proof=proof,
            root=REFERENCE.mth(0, 3),
        )
