"""A seeded gateway home and ``gateway serve`` on it, as an operator would run them.

The gateway runs as its own process (the CLI, real OPA, SQLite file), so the
figures include uvicorn, the HTTP parsing and the process boundary that an agency
pays for; the benchmark client is another process on the same two cores.

Seeding a million taxpayers takes about 35 s, so a seeded database can be kept
under ``.gateway/bench-cache`` keyed by the number of taxpayers, the newest
migration and a digest of the seeder (a database seeded under an older schema or
by an older seeder is never reused). Only the
datastore is cached: each run gets fresh keys and an empty log, and works on a
copy, so the cached file never holds a lookup.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

REPO = Path(__file__).resolve().parents[2]
OPA_BINARY = REPO / ".tools" / "bin" / "opa"
CACHE_DIR = REPO / ".gateway" / "bench-cache"
AGENCY = "DOJ-FBI"
OFFICIAL = "fbi-director"

sys.path.insert(0, str(REPO))

from gateway.audit.log import DecisionLog
from gateway.audit.sealing import AuditKeys
from gateway.auth.keys import KeyStore
from gateway.auth.tokens import mint_token
from gateway.pdp.opa import DECISION_PATH
from gateway.pdp.process import free_loopback_port
from gateway.store.db import make_engine, migrate
from gateway.store.seed import seed_population
from tests import scenarios


class BenchFailedError(Exception):
    """An answer or a state the run did not expect: the run stops and exits non-zero."""


def gateway_cli() -> str:
    return str(Path(sys.executable).parent / "gateway")


def serve_supports_workers() -> bool:
    """Whether this tree's ``gateway serve`` takes ``--workers`` (being added in issue 11)."""
    out = subprocess.run(
        [gateway_cli(), "serve", "--help"], capture_output=True, text=True, check=True
    ).stdout
    return "--workers" in out


def newest_migration() -> str:
    versions = sorted((REPO / "gateway" / "store" / "migrations" / "versions").glob("v*.py"))
    return versions[-1].stem if versions else "none"


@dataclass
class Home:
    """A gateway home directory with keys and a seeded datastore."""

    path: Path
    taxpayers: int
    seed_seconds: float
    """Wall time of ``gateway seed``; 0 when the database came from the cache."""
    cached: bool
    extra_env: dict[str, str]
    policy_dir: Path = REPO / "policies"

    @property
    def db(self) -> Path:
        return self.path / "gateway.db"

    def env(self) -> dict[str, str]:
        return (
            dict(
                os.environ,
                GATEWAY_HOME=str(self.path),
                GATEWAY_POLICY_DIR=str(self.policy_dir),
                GATEWAY_OPA_BINARY=str(OPA_BINARY),
                GATEWAY_LOG_LEVEL="WARNING",
            )
            | self.extra_env
        )


def make_home(
    path: Path,
    taxpayers: int,
    *,
    cache: bool,
    policy_dir: Path,
    extra_env: dict[str, str] | None = None,
) -> Home:
    """Keys, then ``taxpayers`` seeded (or copied from the cache when ``cache`` and present).

    ``policy_dir`` is the run's own copy of ``policies/``: the gateway reloads its
    policy directory when it changes, and an edit in the working tree during a run
    would otherwise be measured (or refused) halfway through.
    """
    path.mkdir(parents=True, exist_ok=True)
    home = Home(path, taxpayers, 0.0, False, extra_env or {}, policy_dir)
    env = home.env()
    subprocess.run([gateway_cli(), "keys", "init"], env=env, check=True, capture_output=True)
    seeder = hashlib.sha256((REPO / "gateway" / "store" / "seed.py").read_bytes()).hexdigest()
    cached = CACHE_DIR / f"taxpayers-{taxpayers}-{newest_migration()}-{seeder[:12]}.db"
    if cache and cached.is_file():
        shutil.copyfile(cached, home.db)
        home.cached = True
        return home
    # In this process, as `gateway seed` does it, without another interpreter start.
    engine = make_engine(f"sqlite:///{home.db}")
    try:
        migrate(engine)
        home.seed_seconds = seed_population(engine, taxpayers).seconds
    finally:
        engine.dispose()
    if cache:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        # The backup API copies a consistent database whatever is left in the WAL.
        with sqlite3.connect(home.db) as src, sqlite3.connect(partial) as dst:
            src.backup(dst)
        partial.replace(cached)
    return home


def people(db: Path, n: int, *, exactly: bool = False) -> list[dict[str, Any]]:
    """TIN, name and newest address of up to ``n`` seeded taxpayers (not the named demo ones).

    With ``exactly``, fewer than ``n`` seeded is an error that ends the benchmark.
    """
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            """SELECT t.tin, t.first_name, t.last_name, a.line1, a.line2, a.city, a.state, a.zip
               FROM taxpayer t JOIN address a ON a.taxpayer_id = t.id
               WHERE t.id > 8 AND a.tax_year = (SELECT max(tax_year) FROM address
                                                WHERE taxpayer_id = t.id)
               GROUP BY t.id ORDER BY t.id LIMIT ?""",
            (n,),
        ).fetchall()
    if exactly and len(rows) < n:
        raise SystemExit(f"seed more taxpayers: need {n}, found {len(rows)}")
    return [
        {
            "tin": tin,
            "name": {"first": first, "middle": None, "last": last},
            "address": {"line1": l1, "line2": l2, "city": city, "state": st, "zip": zc},
        }
        for tin, first, last, l1, l2, city, st, zc in rows
    ]


@dataclass(frozen=True)
class Job:
    """One lookup ready to send: its headers (a fresh token) and its encoded body."""

    headers: dict[str, str]
    body: bytes


class People:
    """Hands out each seeded taxpayer once: a second ask about someone is a duplicate (GW-3b)."""

    def __init__(self, home: Home, n: int) -> None:
        self._people = people(home.db, n)
        self._next = 0
        self._keys = KeyStore(home.path / "keys")
        self._serial = 0

    @property
    def left(self) -> int:
        return len(self._people) - self._next

    def jobs(self, n: int, *, name_only: bool = False, subjects: int = 1) -> list[Job]:
        """``n`` lookups, each with its own token and ``subjects`` taxpayers nobody asked about.

        Tokens are minted here, before anything is timed, with the longest lifetime
        the gateway accepts.
        """
        if n * subjects > self.left:
            raise BenchFailedError(f"out of taxpayers: need {n * subjects}, {self.left} left")
        now = datetime.now(UTC)
        out = []
        for _ in range(n):
            chosen = self._people[self._next : self._next + subjects]
            self._next += subjects
            body = scenarios.fbi_i2()
            self._serial += 1
            body["purpose"]["case_number"] = f"FBI-BENCH-{self._serial}"
            template = body["subjects"][0]
            body["subjects"] = []
            for ref, person in enumerate(chosen, 1):
                subject = {**template, **person, "ref": f"TP-{ref}"}
                if name_only:
                    subject["tin"] = None
                body["subjects"].append(subject)
            token = mint_token(
                self._keys,
                issuer=AGENCY,
                subject=OFFICIAL,
                audience="taxpayer-gateway",
                now=now,
                lifetime=timedelta(minutes=10),
            )
            out.append(
                Job(
                    {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    orjson.dumps(body),
                )
            )
        return out


LOOKUP_PATH = "/v1/address-lookups"
OUTCOMES = frozenset({"allowed", "partially_allowed", "pending_review", "denied"})


def check_answer(status: int, content: bytes, subjects: int = 1) -> dict[str, Any]:
    """The answer as JSON if it is a decided lookup in the log; anything else stops the run."""
    if status != 200:
        raise BenchFailedError(f"unexpected answer: HTTP {status} {content[:500]!r}")
    answer: dict[str, Any] = orjson.loads(content)
    if (
        not isinstance(answer.get("log_index"), int)
        or answer.get("outcome") not in OUTCOMES
        or len(answer.get("results", [])) != subjects
    ):
        raise BenchFailedError(f"unexpected answer body: {content[:500]!r}")
    return answer


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def opa_urls(pid: int) -> list[str]:
    """The URL of every ``opa run --server`` below process ``pid`` (the gateway's OPAs)."""
    urls, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            argv = Path(f"/proc/{current}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"opa") and b"--addr" in argv:
            urls.append("http://" + argv[argv.index(b"--addr") + 1].decode())
        todo += _children(current)
    return urls


class Served:
    """``gateway serve`` on a free port of ``home``, ready to answer, stopped on exit."""

    def __init__(self, home: Home, workers: int | None) -> None:
        self.home = home
        self.port = free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [gateway_cli(), "serve", "--port", str(self.port)]
        if workers is not None:
            argv += ["--workers", str(workers)]
        self._stderr = home.path / "serve.stderr"
        with self._stderr.open("wb") as err:  # a file, not a pipe nobody drains
            self._proc = subprocess.Popen(argv, env=home.env(), stdout=err, stderr=err)
        self._wait_ready()
        if workers is not None or serve_supports_workers():
            self.wait_workers(workers if workers is not None else os.cpu_count() or 1)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._stderr.read_text(errors="replace")[-2000:]
                raise BenchFailedError(f"gateway serve exited ({self._proc.returncode}): {err}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise BenchFailedError("gateway serve did not become ready in 300 s")

    def opa_url(self) -> str:
        """One of the gateway's OPAs (there is one per worker process)."""
        urls = opa_urls(self._proc.pid)
        if not urls:
            raise BenchFailedError("found no OPA process below gateway serve")
        return urls[0]

    def opa_count(self) -> int:
        return len(opa_urls(self._proc.pid))

    def wait_workers(self, expected: int, timeout: float = 120) -> int:
        """Wait until ``expected`` OPAs run (one per worker; the first worker starts alone and
        answers /readyz before the others are up, whose start would load the measurement)."""
        deadline = time.monotonic() + timeout
        while self.opa_count() < expected and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1.0)  # the last worker's own start-up after its OPA is healthy
        return self.opa_count()

    def log_size(self) -> int:
        engine = make_engine(f"sqlite:///{self.home.db}")
        try:
            return DecisionLog(engine).size()
        finally:
            engine.dispose()

    def policy_input(self, log_index: int) -> dict[str, Any]:
        """The policy input the gateway sent OPA for the decision at ``log_index``, unsealed."""
        engine = make_engine(f"sqlite:///{self.home.db}")
        try:
            entry = DecisionLog(engine).entries(log_index, log_index + 1)[0]
        finally:
            engine.dispose()
        record = orjson.loads(entry.body)
        keys = AuditKeys.load(
            self.home.path / "keys" / "audit-pseudonym.key",
            self.home.path / "keys" / "audit-sealing.key",
        )
        plain = keys.unseal(record["sealed_input"], associated_data=record["decision_id"].encode())
        policy_input: dict[str, Any] = orjson.loads(plain)
        return policy_input

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


__all__ = ["DECISION_PATH", "LOOKUP_PATH", "Home", "Job", "People", "Served"]
