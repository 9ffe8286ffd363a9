"""Several worker processes see every policy event; the log gets each one once.

Each :class:`PolicyEvents` stands for one worker process (its own counts) over the
folder the supervisor shares with its workers; a process of its own runs the
race for real.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from gateway.pdp.manager import PolicyEvents, snapshot
from tests.conftest import POLICY_DIR


def test_an_event_every_worker_sees_is_recorded_by_one(tmp_path: Path) -> None:
    workers = [PolicyEvents(tmp_path) for _ in range(4)]
    claims = [w.claim("start sha256:a") for w in workers]
    assert claims == [True, False, False, False]


def test_a_change_back_and_forth_is_recorded_each_time_it_happens(tmp_path: Path) -> None:
    """A→B, B→A, A→B: the third is an event of its own, not the first again."""
    fast, slow = PolicyEvents(tmp_path), PolicyEvents(tmp_path)
    events = ["reload a b", "reload b a", "reload a b"]
    assert [fast.claim(e) for e in events] == [True, True, True]
    assert [slow.claim(e) for e in events] == [False, False, False]


def test_a_replacement_worker_records_nothing_the_others_did(tmp_path: Path) -> None:
    first = PolicyEvents(tmp_path)
    assert first.claim("start sha256:a")
    assert first.claim("reload sha256:a sha256:b")
    replacement = PolicyEvents(tmp_path)
    assert not replacement.claim("start sha256:a")
    assert replacement.claim("start sha256:b")  # a start on the new revision is new


def test_one_process_alone_records_everything() -> None:
    alone = PolicyEvents(None)
    assert [alone.claim("start sha256:a") for _ in range(3)] == [True, True, True]


def _claim(directory: str, key: str, out: multiprocessing.Queue[bool]) -> None:
    out.put(PolicyEvents(Path(directory)).claim(key))


def test_processes_racing_for_one_event_record_it_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue[bool] = ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(str(tmp_path), "reload a b", out)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert sorted(out.get(timeout=5) for _ in procs) == [False] * 5 + [True]


def test_workers_snapshotting_the_same_policy_do_not_collide(tmp_path: Path) -> None:
    """Every worker snapshots policies/ at start, at the same moment."""
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=snapshot, args=(POLICY_DIR, tmp_path / "snapshots")) for _ in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * 4
    kept = [p.name for p in (tmp_path / "snapshots").iterdir()]
    assert len(kept) == 1
    assert not kept[0].startswith(".")
