"""Decision-log benchmarks: group-commit appends, proofs from the database, offline verify.

    uv run python bench/log_bench.py [--appends N] [--threads T] [--leaves M] [--proofs K]
                                     [--appends-only]

Measures, on SQLite in a temporary directory (WAL, synchronous=FULL, so
every commit is fsync'd):

(a) append throughput: N leaves appended by T threads calling
    ``DecisionLog.append`` one leaf at a time (group commit batches them),
    and the same with one thread for comparison; then the same with each
    leaf's stored answer written by its companion (``store_answer``, under a
    SAVEPOINT only if one fails), as the lookup pipeline does, and with
    each stored answer written after its leaf in a transaction of its own (as
    before issue 8) for comparison;
(b) a log of M leaves (default 1,000,000) built with ``append_many`` and signed
    checkpoints every 100,000 leaves; then the median latency of an inclusion
    proof (and a consistency proof) at M leaves read from the database, over K
    random indices;
(c) ``gateway audit export`` of that log, then offline verification of the
    export (``verify_export``): every leaf hash and the root of every checkpoint.

Leaves are about 1 KiB, the size of a one-subject decision record with its
sealed policy input. Not part of the test suite; the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.checkpoint import open_note
from gateway.audit.checkpoints import Checkpointer
from gateway.audit.export import export_log, verify_export
from gateway.audit.log import Companion, DecisionLog
from gateway.audit.merkle import leaf_hash, verify_inclusion
from gateway.audit.signer import NoteSigner
from gateway.store.db import make_engine, migrate, write_transaction
from gateway.store.lookups import StoredLookup, store_answer

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
_PAD = base64.b64encode(os.urandom(700)).decode()


def record(i: int) -> bytes:
    return (
        f'{{"decision_id":"bench-{i}","kind":"decision","outcome":"allowed",'
        f'"sealed_input":{{"ciphertext":"{_PAD}"}},"v":1}}'
    ).encode()


def fresh_log(directory: Path, name: str) -> DecisionLog:
    engine = make_engine(f"sqlite:///{directory / name}")
    migrate(engine)
    return DecisionLog(engine)


def answer(i: int) -> Companion:
    """The companion the pipeline gives a decision leaf: its stored answer, ~0.5 KiB."""

    def store(conn: Connection, index: int) -> None:
        row = StoredLookup(
            decision_id=f"bench-{i}",
            request_id=f"req-{i}",
            agency_id="DOJ-FBI",
            payload_sha256="0" * 64,
            status="allowed",
            response_json=f'{{"log_index":{index},"results":"{_PAD[:400]}"}}',
            created_at=NOW,
            subjects_digest="0" * 64,
        )
        store_answer(conn, row)

    return store


def bench_appends(
    directory: Path, total: int, threads: int, *, answers: str = "none"
) -> tuple[float, int]:
    """``answers``: "none"; "companion" (one transaction); "after" (a transaction of its own)."""
    log = fresh_log(directory, f"append-{threads}-{answers}.db")
    per_thread = total // threads
    barrier = threading.Barrier(threads + 1)

    def work(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            n = t * per_thread + i
            companion = answer(n) if answers == "companion" else None
            index = log.append("decision", record(n), at=NOW, companion=companion)
            if answers == "after":
                with write_transaction(log.engine) as conn:
                    answer(n)(conn, index)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    assert log.size() == per_thread * threads
    log.engine.dispose()
    return per_thread * threads / elapsed, log.commits


def main() -> None:
    parser = argparse.ArgumentParser(description="decision-log benchmarks")
    parser.add_argument("--appends", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument("--appends-only", action="store_true", help="run (a) only")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        directory = Path(tmp)

        # (a)
        rate, commits = bench_appends(directory, args.appends, args.threads)
        print(
            f"(a) append, {args.threads} threads:  {rate:10,.0f} leaves/s"
            f" ({args.appends:,} leaves in {commits:,} commits)"
        )
        single = max(args.appends // 50, 500)
        rate1, commits1 = bench_appends(directory, single, 1)
        print(f"    append, 1 thread:     {rate1:10,.0f} leaves/s ({commits1:,} commits)")
        for answers, how in (("companion", "in the leaf's transaction"), ("after", "after it")):
            rate, commits = bench_appends(directory, args.appends, args.threads, answers=answers)
            rate1, _ = bench_appends(directory, single, 1, answers=answers)
            print(
                f"    stored answer {how}: {rate:10,.0f} leaves/s with {args.threads} threads"
                f" ({commits:,} log commits), {rate1:,.0f} leaves/s with 1"
            )
        if args.appends_only:
            return

        # (b)
        log = fresh_log(directory, "big.db")
        signer = NoteSigner("bench.example/decisions", Ed25519PrivateKey.generate())
        checkpointer = Checkpointer(log, signer)
        started = time.perf_counter()
        batch = 10_000
        for start in range(0, args.leaves, batch):
            end = min(start + batch, args.leaves)
            log.append_many([("decision", record(i), NOW) for i in range(start, end)])
            if end % 100_000 == 0 or end == args.leaves:
                checkpointer.publish(NOW)
        print(
            f"(b) built {args.leaves:,} leaves in {time.perf_counter() - started:.1f} s"
            f" (append_many, 10,000 per commit)"
        )
        latest = checkpointer.latest()
        assert latest is not None
        size = latest.size
        checkpoint = open_note(latest.note, [signer.verifier])
        rng = random.Random(7)  # noqa: S311 - which leaves to prove, not a secret
        indices = [rng.randrange(size) for _ in range(args.proofs)]
        samples = []
        for index in indices:
            t0 = time.perf_counter_ns()
            proof = log.inclusion_proof(index, size)
            samples.append(time.perf_counter_ns() - t0)
        data = log.entries(indices[-1], indices[-1] + 1)[0].body
        verify_inclusion(
            leaf_hash=leaf_hash(data), index=indices[-1], size=size, proof=proof,
            root=checkpoint.root,
        )  # fmt: skip
        print(
            f"    inclusion proof at {size:,} from the database: median"
            f" {statistics.median(samples) / 1e6:.3f} ms, p99"
            f" {sorted(samples)[int(len(samples) * 0.99)] / 1e6:.3f} ms ({len(proof)} hashes)"
        )
        samples = []
        for first in indices[:200]:
            t0 = time.perf_counter_ns()
            log.consistency_proof(first + 1, size)
            samples.append(time.perf_counter_ns() - t0)
        print(
            f"    consistency proof to {size:,}: median {statistics.median(samples) / 1e6:.3f} ms"
        )

        # (c)
        started = time.perf_counter()
        export = directory / "export"
        export_log(log, checkpointer.all(), signer.verifier, export)
        print(f"(c) export of {size:,} leaves: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        result = verify_export(export, [signer.verifier])
        elapsed = time.perf_counter() - started
        print(
            f"    offline verify: {elapsed:.2f} s ({result.size:,} leaves,"
            f" {result.checkpoints} checkpoints, {result.size / elapsed:,.0f} leaves/s)"
        )
        log.engine.dispose()


if __name__ == "__main__":
    main()
