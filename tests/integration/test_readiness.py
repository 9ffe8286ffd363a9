"""/readyz is true only while a decision could be logged: the database must accept a write.

Both databases are real and made unwritable for real: PostgreSQL switched to
read-only transactions for the gateway's database (as a promoted-then-demoted
primary or an operator's ``ALTER DATABASE`` would), and SQLite's file on a
small tmpfs that is then filled up (needs permission to mount; skipped without).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import scenarios as sc
from tests.support import Tokens, make_settings, prepare_home, running_gateway


def _readyz(client: TestClient, status: int, seconds: float = 10) -> dict[str, bool]:
    deadline = time.monotonic() + seconds
    while True:
        resp = client.get("/readyz")
        if resp.status_code == status or time.monotonic() > deadline:
            assert resp.status_code == status, resp.text
            checks: dict[str, bool] = resp.json()["checks"]
            return checks
        time.sleep(0.1)


def _set_read_only(postgres_url: str, read_only: bool) -> None:
    """Make new sessions of that database read-only (or not) and end the existing ones."""
    name = make_url(postgres_url).database
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SET default_transaction_read_only = off"))  # this session only
            setting = "on" if read_only else "off"
            alter = f'ALTER DATABASE "{name}" SET default_transaction_read_only = {setting}'
            conn.execute(text(alter))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
    finally:
        admin.dispose()


@pytest.mark.postgres
def test_a_read_only_postgresql_makes_the_gateway_unready_until_it_accepts_writes(
    tmp_path: Path, postgres_url: str, opa_binary: Path
) -> None:
    settings = make_settings(tmp_path / "home", postgres_url, opa_binary)
    prepare_home(settings)
    with running_gateway(settings) as client:
        assert _readyz(client, 200)["log"]
        _set_read_only(postgres_url, True)
        try:
            checks = _readyz(client, 503)
            assert checks["log"] is False
            resp = client.post(
                "/v1/address-lookups",
                json=sc.fbi_i2(),
                headers=Tokens(settings).agency("DOJ-FBI", "FBI_DIRECTOR"),
            )
            assert resp.status_code == 503
        finally:
            _set_read_only(postgres_url, False)
        assert _readyz(client, 200)["log"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs: a disk that can really be filled."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    try:
        with filler.open("wb") as f:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
    except OSError:
        pass
    return filler


def test_a_full_disk_under_the_sqlite_log_makes_the_gateway_unready_until_space_returns(
    small_disk: Path, opa_binary: Path
) -> None:
    home = small_disk / "home"
    settings = make_settings(
        home,
        f"sqlite:///{small_disk / 'gw.db'}",
        opa_binary,
        readiness_min_free_bytes=1024 * 1024,
    )
    prepare_home(settings)
    with running_gateway(settings) as client:
        assert _readyz(client, 200)["log"]
        filler = _fill(small_disk)
        assert shutil.disk_usage(small_disk).free < 1024 * 1024
        checks = _readyz(client, 503)
        assert checks == {"opa": True, "datastore": True, "log": False, "checkpoint": True}
        filler.unlink()
        assert _readyz(client, 200)["log"]
