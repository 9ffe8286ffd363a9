"""Many hosts, one log (issue 12 item 2): four gateways append to one PostgreSQL log; one dies.

Four `gateway serve` processes, each in a process group of its own with its
own home and its own OPA child (as on four hosts), share one PostgreSQL
database and the same keys (created once, copied to every home). Client
threads send 20,000 address lookups, each about a different seeded taxpayer,
spread round-robin over the gateways. Midway one gateway's whole process group
is killed with SIGKILL while it is appending; lookups it can no longer take
are sent to the others, and the ones it had in flight are counted unanswered.

Then, reading the database directly and with `gateway audit verify`:

* verify passes with the pinned key (every leaf hash, subtree, root,
  checkpoint signature and consistency proof between consecutive checkpoints);
* the stored indices are exactly 0..size-1;
* every answered decision is in the log exactly once, at the index it was
  given, and its stored answer names that index;
* every decision leaf has its stored answer and every stored answer its leaf
  (the killed gateway left nothing half-written), and the decisions nobody
  was answered for are among the killed gateway's requests in flight;
* every checkpoint's root is the root, recomputed here from the leaves, of
  the first ``size`` leaves: all checkpoints are prefixes of one history, so
  none forks from another, and the last one covers the whole log.

PostgreSQL only: skipped when GATEWAY_TEST_POSTGRES_URL is not set (CI sets it).
Prints the wall time and the rate; on the project's 2-core machine the four
gateways, their four OPAs and the client share the cores.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

from gateway.auditing.projection import rebuild
from gateway.auditing.tables import PROJECTION, PROJECTION_RULE, PROJECTION_STATE
from gateway.pdp.process import free_loopback_port
from gateway.settings import Settings
from tests import scenarios as sc
from tests.e2e.served import GATEWAY, cli, gateway_env, wait_ready
from tests.support import Tokens, official_for

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

GATEWAYS = 4
LOOKUPS = 20_000
SPARE = 1_000
"""Taxpayers beyond LOOKUPS: an attempt that got no answer never reuses its person."""
CLIENT_THREADS = 24
VICTIM = 1


@dataclass(frozen=True)
class Host:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class Load:
    """What the client threads share: who to ask about, what came back."""

    people: list[dict[str, Any]]
    urls: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_person: int = 0
    in_flight: int = 0
    turn: Iterator[int] = field(default_factory=itertools.count)
    dead: set[int] = field(default_factory=set)
    answered: list[tuple[str, int, int]] = field(default_factory=list)
    """(decision_id, log_index, host) of every decision a gateway answered."""
    unanswered: list[tuple[int, str, str]] = field(default_factory=list)
    """(host, request_id, error) of every attempt that got no answer."""
    refused: list[tuple[int, int, str]] = field(default_factory=list)
    """(host, status, body) of every HTTP answer that was not a decision."""
    outcomes: Counter[str] = field(default_factory=Counter)

    def take(self) -> tuple[int, int] | None:
        """The next person and a live gateway, or None when enough lookups are answered."""
        with self.lock:
            if len(self.answered) + self.in_flight >= LOOKUPS:
                return None
            if self.next_person >= len(self.people) or self.refused:
                return None
            live = [i for i in range(len(self.urls)) if i not in self.dead]
            if not live:
                return None
            self.in_flight += 1
            person = self.next_person
            self.next_person += 1
            return person, live[next(self.turn) % len(live)]


def _lookup_body(person: dict[str, Any], n: int) -> dict[str, Any]:
    body = sc.fbi_i2()
    body["purpose"]["case_number"] = f"FBI-HOSTS-{n}"
    body["subjects"][0].update(person)
    return body


def _client(load: Load, tokens: Tokens, official: str) -> None:
    # A new connection for every lookup: a kept-alive one that the server closes as idle
    # just as it is reused would fail on the client's side, and only the killed
    # gateway's requests may fail here.
    fresh = httpx.Limits(max_keepalive_connections=0)
    clients = [httpx.Client(base_url=url, timeout=120, limits=fresh) for url in load.urls]
    try:
        while (job := load.take()) is not None:
            person, host = job
            body = _lookup_body(load.people[person], person)
            try:
                resp = clients[host].post(
                    "/v1/address-lookups",
                    json=body,
                    headers=tokens.agency_official("DOJ-FBI", official),
                )
            except httpx.TransportError as exc:
                with load.lock:
                    load.in_flight -= 1
                    load.dead.add(host)
                    load.unanswered.append((host, body["request_id"], type(exc).__name__))
                continue
            with load.lock:
                load.in_flight -= 1
                if resp.status_code != 200:
                    load.refused.append((host, resp.status_code, resp.text[:500]))
                    continue
                answer = resp.json()
                load.answered.append((answer["decision_id"], int(answer["log_index"]), host))
                load.outcomes[answer["outcome"]] += 1
    finally:
        for c in clients:
            c.close()


def _people(engine: Engine, n: int) -> list[dict[str, Any]]:
    """TIN, name and last known address of n seeded taxpayers (not the named demo ones)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """SELECT DISTINCT ON (t.id) t.tin, t.first_name, t.last_name,
                          a.line1, a.line2, a.city, a.state, a.zip
                   FROM taxpayer t JOIN address a ON a.taxpayer_id = t.id
                   WHERE t.id > 8 ORDER BY t.id, a.tax_year DESC LIMIT :n"""
            ),
            {"n": n},
        ).all()
    assert len(rows) == n, f"seeded {len(rows)} taxpayers, need {n}"
    return [
        {
            "tin": tin,
            "name": {"first": first, "middle": None, "last": last},
            "address": {"line1": l1, "line2": l2, "city": city, "state": st, "zip": zc},
        }
        for tin, first, last, l1, l2, city, st, zc in rows
    ]


@contextmanager
def _hosts(envs: list[dict[str, str]]) -> Iterator[list[Host]]:
    """Start every gateway at once (one fresh log, four replicas racing to open it)."""
    hosts: list[Host] = []
    with ExitStack() as stack:
        for i, env in enumerate(envs):
            port = free_loopback_port()
            log_path = Path(env["GATEWAY_HOME"]) / "serve.log"
            out = stack.enter_context(log_path.open("wb"))
            proc = subprocess.Popen(
                [GATEWAY, "serve", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,  # its own process group, its OPA child in it
            )
            hosts.append(Host(f"host{i}", f"http://127.0.0.1:{port}", proc, log_path))
        try:
            for h in hosts:
                wait_ready(h.url, h.proc, h.log_path, seconds=120)
            yield hosts
        finally:
            for h in hosts:
                if h.proc.poll() is None:
                    h.proc.send_signal(signal.SIGINT)
            for h in hosts:
                try:
                    h.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    with suppress(ProcessLookupError):
                        os.killpg(h.proc.pid, signal.SIGKILL)
                    h.proc.wait()
                with suppress(ProcessLookupError):  # an OPA child left behind
                    os.killpg(h.proc.pid, signal.SIGKILL)


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children (the gateway and its OPA), from /proc."""
    total = 0.0
    pids = [pid]
    with suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids.extend(int(c) for c in (task / "children").read_text().split())
    for p in pids:
        with suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _roots_at(leaf_hashes: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """RFC 9162 roots of the first ``size`` leaves for each of ``sizes``, in one pass.

    Written here from the RFC, not taken from gateway.audit.merkle: a stack of
    the complete subtrees so far, folded from the right.
    """
    roots: dict[int, bytes] = {}
    stack: list[tuple[int, bytes]] = []  # (leaves under it, hash)
    if 0 in sizes:
        roots[0] = hashlib.sha256(b"").digest()
    for n, h in enumerate(leaf_hashes, start=1):
        stack.append((1, h))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (w, left), (_, right) = stack[-2], stack[-1]
            stack[-2:] = [(2 * w, _node(left, right))]
        if n in sizes:
            acc = stack[-1][1]
            for _, h_left in reversed(stack[:-1]):
                acc = _node(h_left, acc)
            roots[n] = acc
    return roots


def _projection(engine: Engine) -> list[list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return [
            [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in (PROJECTION, PROJECTION_RULE, PROJECTION_STATE)
        ]


def test_four_hosts_one_log_one_killed_midway(postgres_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    envs: list[dict[str, str]] = []
    for i in range(GATEWAYS):
        env = gateway_env(tmp_path / f"host{i}")
        env.update(
            GATEWAY_DATABASE_URL=postgres_url,
            GATEWAY_LOG_LEVEL="WARNING",
            GATEWAY_POLICY_RELOAD_INTERVAL_SECONDS="0",  # policies/ is not this test's subject
            GATEWAY_OPA_TIMEOUT_SECONDS="30",
            GATEWAY_DATABASE_POOL_SIZE="6",
            GATEWAY_DATABASE_MAX_OVERFLOW="4",
            GATEWAY_DATABASE_POOL_TIMEOUT_SECONDS="60",
        )
        envs.append(env)
    first = envs[0]
    cli(first, "keys", "init")
    for env in envs[1:]:  # the same keys on every host
        shutil.copytree(Path(first["GATEWAY_HOME"]) / "keys", Path(env["GATEWAY_HOME"]) / "keys")
    cli(first, "seed", "--taxpayers", str(8 + LOOKUPS + SPARE))
    engine = create_engine(postgres_url)
    try:
        people = _people(engine, LOOKUPS + SPARE)
        tokens = Tokens(Settings(home=Path(first["GATEWAY_HOME"])))
        official = official_for("DOJ-FBI", "FBI_DIRECTOR")
        prepared = time.monotonic()

        with _hosts(envs) as hosts:
            ready = time.monotonic()
            cpu_ready = [_cpu_seconds(h.proc.pid) for h in hosts]
            client_cpu = time.process_time()
            load = Load(people=people, urls=[h.url for h in hosts])
            threads = [
                threading.Thread(target=_client, args=(load, tokens, official), daemon=True)
                for _ in range(CLIENT_THREADS)
            ]
            for t in threads:
                t.start()
            while len(load.answered) < LOOKUPS // 2 and any(t.is_alive() for t in threads):
                time.sleep(0.05)
            victim = hosts[VICTIM]
            with load.lock:
                victim_answered_before = sum(1 for *_, h in load.answered if h == VICTIM)
            os.killpg(victim.proc.pid, signal.SIGKILL)  # the gateway and its OPA: a host lost
            killed_at = len(load.answered)
            victim.proc.wait()
            for t in threads:
                t.join(timeout=900)
                assert not t.is_alive(), "the client threads did not finish"
            sent = time.monotonic()
            client_cpu = time.process_time() - client_cpu
            survivors = [i for i in range(GATEWAYS) if i != VICTIM]
            survivors_cpu = sum(_cpu_seconds(hosts[i].proc.pid) - cpu_ready[i] for i in survivors)
            survivors_answered = sum(1 for *_, h in load.answered if h != VICTIM)
            for i in survivors:
                failed = [(r, e) for h, r, e in load.unanswered if h == i]
                why = f"host{i}, not the one killed: {hosts[i].log_path.read_text()[-3000:]}"
                assert hosts[i].proc.poll() is None, why
                assert not failed, f"{failed[:3]} {why}"
        stopped = time.monotonic()

        assert load.refused == [], f"gateways answered without a decision: {load.refused[:5]}"
        assert len(load.answered) == LOOKUPS
        assert {h for h, *_ in load.unanswered} <= {VICTIM}, load.unanswered[:5]
        assert victim_answered_before > 0
        assert len(load.answered) - killed_at > LOOKUPS // 3, "the survivors stopped appending"

        key = cli(first, "audit", "public-key").strip()
        verified = cli(first, "audit", "verify", "--public-key", key)
        assert "verified:" in verified, verified

        with engine.connect() as conn:
            entries = conn.execute(
                text("SELECT idx, kind, body, leaf_hash FROM log_entry ORDER BY idx")
            ).all()
            stored = conn.execute(
                text("SELECT decision_id, request_id, response_json FROM lookup")
            ).all()
            checkpoints = conn.execute(
                text("SELECT size, root, note FROM log_checkpoint ORDER BY size")
            ).all()

        # Indices: exactly 0..size-1, each once; one first key, though all four started at once.
        size = len(entries)
        assert [e.kind for e in entries].count("key_rotation") == 1
        assert [int(e.idx) for e in entries] == list(range(size))
        for e in entries:
            assert bytes(e.leaf_hash) == hashlib.sha256(b"\x00" + bytes(e.body)).digest()

        # Every answered decision exactly once, at the index it was given.
        logged: dict[str, int] = {}
        for e in entries:
            if e.kind == "decision":
                decision_id = json.loads(bytes(e.body))["decision_id"]
                assert decision_id not in logged, f"decision {decision_id} logged twice"
                logged[decision_id] = int(e.idx)
        answered = {d: i for d, i, _ in load.answered}
        assert len(answered) == LOOKUPS, "a decision id was answered twice"
        wrong = {d: i for d, i in answered.items() if logged.get(d) != i}
        assert not wrong, f"answered decisions not in the log at their index: {list(wrong)[:5]}"

        # Nothing half-written: each decision leaf has its stored answer, and the reverse.
        answers = {r.decision_id: r for r in stored}
        assert set(answers) == set(logged)
        for decision_id, index in logged.items():
            assert json.loads(answers[decision_id].response_json)["log_index"] == index
        unanswered_logged = set(logged) - set(answered)
        in_flight = {request_id for _, request_id, _ in load.unanswered}
        assert {answers[d].request_id for d in unanswered_logged} <= in_flight

        # Checkpoints: every one a prefix of the one history, the last one the whole log.
        assert checkpoints, "no checkpoint was published"
        roots = _roots_at([bytes(e.leaf_hash) for e in entries], {c.size for c in checkpoints})
        for c in checkpoints:
            origin, note_size, note_root = c.note.split("\n")[:3]
            assert origin == Settings().log_origin
            assert int(note_size) == c.size
            assert base64.b64decode(note_root) == bytes(c.root)
            assert bytes(c.root) == roots[c.size], f"checkpoint of size {c.size} forks"
        assert checkpoints[-1].size == size

        # The audit projection, advanced by four hosts' leaf writers in turn (and caught up
        # over the leaves appended without one), is exactly what a rebuild from the log gives.
        live = _projection(engine)
        assert live[2] == [(1, size)], "the projection's state is not at the log's size"
        assert rebuild(engine) == size
        assert _projection(engine) == live
    finally:
        engine.dispose()

    ended = time.monotonic()
    kinds = Counter(e.kind for e in entries)
    rate = LOOKUPS / (sent - ready)
    print(
        f"\nmany hosts: {LOOKUPS} lookups answered by {GATEWAYS} gateways in"
        f" {sent - ready:.1f} s ({rate:.0f}/s); host{VICTIM} killed -9 after {killed_at}"
        f" answers ({victim_answered_before} of them its own);"
        f" {len(load.unanswered)} attempts unanswered"
        f" ({Counter(err for *_, err in load.unanswered)}),"
        f" {len(unanswered_logged)} of them decided and logged; log size {size}"
        f" ({dict(kinds)}); {len(checkpoints)} checkpoints; outcomes {dict(load.outcomes)};"
        f" CPU per lookup: {survivors_cpu / survivors_answered * 1000:.1f} ms in a gateway"
        f" and its OPA, {client_cpu / LOOKUPS * 1000:.1f} ms in the client;"
        f" set-up {prepared - started:.1f} s, start {ready - prepared:.1f} s,"
        f" stop {stopped - sent:.1f} s, checks {ended - stopped:.1f} s,"
        f" wall {ended - started:.1f} s"
    )
