"""Back up the decision log, restore it, and prove the restored log is the same log.

What the README's "Operations: back up and restore the log" tells an operator
to do, done with the real commands: a running gateway is backed up online
(SQLite's backup API, never a file copy of a live WAL database), an auditor's
witness (`gateway audit watch`) has pinned a checkpoint before the backup, and
after the restore into a fresh home `gateway audit verify` passes and the same
witness accepts the restored log's newest checkpoint only with a consistency
proof from the one it pinned. A backup older than what the witness has seen is
refused: a restore cannot silently take signed history back.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gateway.pdp.process import free_loopback_port
from tests import scenarios as sc
from tests.conftest import DEMO_JSONL
from tests.e2e.served import GATEWAY, cli, gateway_env, wait_ready

pytestmark = pytest.mark.e2e


@contextmanager
def _serving(env: dict[str, str]) -> Iterator[str]:
    """`gateway serve` on a home that is already prepared (keys, database); its URL."""
    port = free_loopback_port()
    log_path = Path(env["GATEWAY_HOME"]) / "serve.log"
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, proc, log_path)
            yield url
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _lookup(env: dict[str, str], url: str) -> int:
    """One FBI lookup; the index of its decision leaf."""
    token = cli(env, "token", "--agency", "DOJ-FBI", "--official", "fbi-director").strip()
    resp = httpx.post(
        f"{url}/v1/address-lookups",
        json=sc.fbi_i2(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    index: int = resp.json()["log_index"]
    return index


def _watch(env: dict[str, str], url: str, state: Path, *extra: str) -> tuple[int, str]:
    """One run of the auditor's witness; exit status and everything it printed."""
    done = subprocess.run(
        [
            GATEWAY,
            "audit",
            "watch",
            "--state",
            str(state),
            "--url",
            url,
            "--token-command",
            f"{GATEWAY} token --role auditor",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _watch_until_covered(env: dict[str, str], url: str, state: Path, index: int) -> int:
    """Run the witness until the checkpoint it accepted covers leaf ``index``; that size."""
    deadline = time.monotonic() + 30
    while True:
        code, out = _watch(env, url, state)
        assert code == 0, out
        size = int(out.strip().rsplit(" ", 1)[-1])
        if size > index:
            return size
        assert time.monotonic() < deadline, f"no checkpoint covers leaf {index}: {out}"
        time.sleep(0.5)


class SqliteBackend:
    """The default database: a file under GATEWAY_HOME, backed up with SQLite's backup API."""

    def live(self, home: Path) -> dict[str, str]:
        return gateway_env(home)

    def backup(self, env: dict[str, str], target: Path) -> int:
        """What `sqlite3 DB ".backup FILE"` does, online; the leaves in the copy."""
        with (
            closing(sqlite3.connect(Path(env["GATEWAY_HOME"]) / "gateway.db")) as live,
            closing(sqlite3.connect(target)) as copy,
        ):
            live.backup(copy)
            (leaves,) = copy.execute("SELECT count(*) FROM log_entry").fetchone()
            (check,) = copy.execute("PRAGMA integrity_check").fetchone()
        assert check == "ok"
        return int(leaves)

    def restore(self, backup: Path, home: Path) -> dict[str, str]:
        """The backup copied into place as a fresh home's database (the gateway is stopped)."""
        shutil.copyfile(backup, home / "gateway.db")
        return gateway_env(home)


class PostgresBackend:
    """PostgreSQL: pg_dump (one consistent snapshot) and pg_restore into a new database."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.created: list[str] = []

    def _database(self) -> str:
        name = f"gw_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        admin = create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def live(self, home: Path) -> dict[str, str]:
        env = gateway_env(home)
        env["GATEWAY_DATABASE_URL"] = self._database()
        return env

    def backup(self, env: dict[str, str], target: Path) -> int:
        """pg_dump, online; the leaves counted in the very snapshot the dump reads."""
        engine = create_engine(env["GATEWAY_DATABASE_URL"], isolation_level="REPEATABLE READ")
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            leaves = conn.execute(text("SELECT count(*) FROM log_entry")).scalar_one()
            subprocess.run(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={_libpq(env['GATEWAY_DATABASE_URL'])}",
                ],
                check=True,
                timeout=120,
            )
        engine.dispose()
        return int(leaves)

    def restore(self, backup: Path, home: Path) -> dict[str, str]:
        env = gateway_env(home)
        env["GATEWAY_DATABASE_URL"] = self._database()
        subprocess.run(
            [
                _pg_tool("pg_restore"),
                "--exit-on-error",
                f"--dbname={_libpq(env['GATEWAY_DATABASE_URL'])}",
                str(backup),
            ],
            check=True,
            timeout=120,
        )
        return env


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _pg_tool(name: str) -> str:
    """The client tool matching the test server (15), else the one on PATH."""
    versioned = Path("/usr/lib/postgresql/15/bin") / name
    found = str(versioned) if versioned.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


Backend = SqliteBackend | PostgresBackend


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield SqliteBackend()
        return
    base = os.environ.get("GATEWAY_TEST_POSTGRES_URL")
    if base is None:
        pytest.skip("GATEWAY_TEST_POSTGRES_URL is not set (CI sets it)")
    pg = PostgresBackend(base)
    try:
        yield pg
    finally:
        pg.drop_all()


def _restore(backend: Backend, backup: Path, keys: Path, home: Path) -> dict[str, str]:
    """A fresh home holding the backed-up keys, and the backup restored as its database."""
    home.mkdir()
    shutil.copytree(keys, home / "keys")
    return backend.restore(backup, home)


def test_a_restored_backup_verifies_and_the_witness_proves_it_extends_its_checkpoint(
    backend: Backend, tmp_path: Path
) -> None:
    (tmp_path / "live").mkdir()
    env = backend.live(tmp_path / "live")
    cli(env, "keys", "init")
    cli(env, "store", "import", str(DEMO_JSONL))
    public_key = cli(env, "audit", "public-key").strip()
    pinned_state = tmp_path / "auditor-state.json"
    with _serving(env) as url:
        last = max(_lookup(env, url) for _ in range(2))
        code, out = _watch(env, url, pinned_state, "--public-key", public_key)
        assert code == 0, out
        assert "pinned: checkpoint of size" in out
        pinned_size = int(out.strip().rsplit(" ", 1)[-1])
        # The witness pinned before the backup; the backup is taken while the gateway runs.
        at_pin = tmp_path / "auditor-state-at-pin.json"
        shutil.copyfile(pinned_state, at_pin)
        older_leaves = backend.backup(env, tmp_path / "older.bak")
        assert older_leaves >= pinned_size
        # The log goes on; the witness follows it past what the older backup holds.
        last = max(_lookup(env, url) for _ in range(2))
        seen_size = _watch_until_covered(env, url, pinned_state, max(last, older_leaves))
        newer_leaves = backend.backup(env, tmp_path / "newer.bak")
    assert seen_size > older_leaves
    assert newer_leaves >= seen_size

    # Restore the newer backup on a "new host": the same log, by proof.
    keys = tmp_path / "live" / "keys"
    restored = _restore(backend, tmp_path / "newer.bak", keys, tmp_path / "restored")
    verified = cli(restored, "audit", "verify", "--public-key", public_key)
    assert verified.startswith(f"verified: {newer_leaves} leaves")
    with _serving(restored) as url:
        code, out = _watch(restored, url, pinned_state)
        assert code == 0, out
        assert f"consistent: size {seen_size} -> " in out
        witnessed = int(out.strip().rsplit(" ", 1)[-1])  # the restored gateway's start leaves
        code, out = _watch(restored, url, at_pin)
        assert code == 0, out
        assert f"consistent: size {pinned_size} -> " in out

    # Restore the older backup: verify passes (it is a genuine prefix of the log), but a
    # witness that has seen more refuses it and keeps its state as evidence.
    old = _restore(backend, tmp_path / "older.bak", keys, tmp_path / "rolled-back")
    verified = cli(old, "audit", "verify", "--public-key", public_key)
    assert verified.startswith(f"verified: {older_leaves} leaves")
    state_before = pinned_state.read_bytes()
    with _serving(old) as url:
        code, out = _watch(old, url, pinned_state)
        assert code == 1, out
        said = " ".join(out.split())  # the console wraps long lines
        assert said.startswith("INCONSISTENT: the log cannot prove")
        assert f"the log holds fewer leaves than the {witnessed} of the saved checkpoint" in said
    assert pinned_state.read_bytes() == state_before


def test_a_restored_backup_with_one_leaf_changed_fails_verification(tmp_path: Path) -> None:
    env = gateway_env(tmp_path / "live")
    cli(env, "keys", "init")
    cli(env, "store", "import", str(DEMO_JSONL))
    public_key = cli(env, "audit", "public-key").strip()
    with _serving(env) as url:
        index = _lookup(env, url)
        SqliteBackend().backup(env, tmp_path / "backup.db")
    keys = tmp_path / "live" / "keys"
    restored = _restore(SqliteBackend(), tmp_path / "backup.db", keys, tmp_path / "restored")
    with closing(sqlite3.connect(Path(restored["GATEWAY_HOME"]) / "gateway.db")) as db:
        db.execute("DROP TRIGGER log_entry_no_update")
        body = db.execute("SELECT body FROM log_entry WHERE idx = ?", (index,)).fetchone()[0]
        changed = bytes(body).replace(b"DOJ-FBI", b"DOJ-FBX")
        assert changed != body
        db.execute("UPDATE log_entry SET body = ? WHERE idx = ?", (changed, index))
        db.commit()
    done = subprocess.run(
        [GATEWAY, "audit", "verify", "--public-key", public_key],
        env=restored,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"FAILED at index {index}:" in done.stderr
