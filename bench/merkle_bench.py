"""Micro-benchmarks of gateway.audit.merkle at one million leaves.

    uv run python bench/merkle_bench.py [--leaves N] [--proofs K]

Measures, on one core:

(a) inclusion (and consistency) proof generation through ``get_node`` backed
    by an in-memory dict of every complete subtree hash, as a storage layer
    fed by ``CompactRange.append`` would hold them, and proof verification:
    median microseconds over K random proofs;
(b) root recomputation from N leaf hashes with ``root_from_leaf_hashes``:
    seconds (best and median of three runs).

Not part of the test suite; the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time

from gateway.audit.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)


def median_us(samples_ns: list[int]) -> float:
    return statistics.median(samples_ns) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description="Merkle proof and root benchmarks")
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1000)
    args = parser.parse_args()
    n, k = args.leaves, args.proofs
    print(f"python {platform.python_version()} on {platform.machine()}, {n:,} leaves")

    started = time.perf_counter()
    hashes = [leaf_hash(i.to_bytes(8, "big")) for i in range(n)]
    print(f"leaf hashing:                     {time.perf_counter() - started:8.3f} s")

    started = time.perf_counter()
    compact = CompactRange()
    store: dict[tuple[int, int], bytes] = {}
    for h in hashes:
        for subtree in compact.append(h):
            store[subtree.level, subtree.index] = subtree.hash
    elapsed = time.perf_counter() - started
    print(
        f"CompactRange.append, all leaves:  {elapsed:8.3f} s"
        f"  ({elapsed / n * 1e6:.2f} us/leaf, {len(store):,} subtrees stored)"
    )

    runs = []
    for _ in range(3):
        started = time.perf_counter()
        root = root_from_leaf_hashes(hashes)
        runs.append(time.perf_counter() - started)
    assert root == compact.root()
    print(
        f"(b) root_from_leaf_hashes:        {min(runs):8.3f} s best,"
        f" {statistics.median(runs):.3f} s median of 3"
    )

    reads = 0

    def get_node(level: int, index: int) -> bytes:
        nonlocal reads
        reads += 1
        return store[level, index]

    rng = random.Random(20251125)  # noqa: S311 -- reproducible benchmark sample, not crypto
    gen_ns, verify_ns, read_counts, lengths = [], [], [], []
    for _ in range(k):
        index = rng.randrange(n)
        reads = 0
        t0 = time.perf_counter_ns()
        proof = inclusion_proof(index, n, get_node)
        t1 = time.perf_counter_ns()
        verify_inclusion(leaf_hash=hashes[index], index=index, size=n, proof=proof, root=root)
        t2 = time.perf_counter_ns()
        gen_ns.append(t1 - t0)
        verify_ns.append(t2 - t1)
        read_counts.append(reads)
        lengths.append(len(proof))
    print(
        f"(a) inclusion proof generation:   {median_us(gen_ns):8.1f} us median"
        f"  (proof length {min(lengths)}-{max(lengths)},"
        f" get_node reads {min(read_counts)}-{max(read_counts)})"
    )
    print(f"(a) inclusion proof verification: {median_us(verify_ns):8.1f} us median")

    gen_ns, verify_ns = [], []
    for _ in range(k):
        first = rng.randrange(1, n)
        first_root = CompactRange.from_nodes(first, get_node).root()
        t0 = time.perf_counter_ns()
        proof = consistency_proof(first, n, get_node)
        t1 = time.perf_counter_ns()
        verify_consistency(
            first=first, second=n, first_root=first_root, second_root=root, proof=proof
        )
        t2 = time.perf_counter_ns()
        gen_ns.append(t1 - t0)
        verify_ns.append(t2 - t1)
    print(f"    consistency proof generation: {median_us(gen_ns):8.1f} us median")
    print(f"    consistency verification:     {median_us(verify_ns):8.1f} us median")


if __name__ == "__main__":
    main()
