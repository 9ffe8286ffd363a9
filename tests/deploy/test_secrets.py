"""The secret files a deployment mounts: made by deploy/make_secrets.py, read by the gateway.

make_secrets.py runs as an operator runs it; the gateway's own loaders then read what it
wrote, under the names compose mounts. The image's entry point is run with a password
file and must hand libpq a password file, never an environment value.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.audit.logkey import load_log_signer
from gateway.audit.sealing import AuditKeys
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from tests.deploy import manifests as m

ORIGIN = "gateway.agency.example/decisions"


def make_secrets(target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(m.MAKE_SECRETS), str(target), "--log-origin", ORIGIN],
        capture_output=True,
        text=True,
        check=False,
        cwd=m.REPO,
    )


def compose_secret_files() -> set[str]:
    doc = m.compose()
    sources = [*doc["secrets"].values(), doc["configs"]["policy_verification_key"]]
    return {Path(s["file"]).name for s in sources if s["file"].startswith("./secrets/")}


def test_make_secrets_writes_every_file_compose_mounts_and_the_gateway_loads_them(
    tmp_path: Path,
) -> None:
    target = tmp_path / "secrets"
    assert make_secrets(target).returncode == 0
    written = {p.name for p in target.iterdir()}
    assert written == compose_secret_files()
    for path in target.iterdir():
        mode = stat.S_IMODE(path.stat().st_mode)
        public = path.name.endswith((".pub", ".pem"))
        assert mode == (0o444 if public else 0o400), path.name
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    KeyStore(target).private_key(GATEWAY_KEY_NAME)
    KeyStore(target).public_key(GATEWAY_KEY_NAME)
    assert load_log_signer(target, ORIGIN).verifier_key_text().startswith(ORIGIN + "+")
    before = sorted(written)
    keys = AuditKeys.load_or_create(target)  # loads: creating would add files
    assert sorted(p.name for p in target.iterdir()) == before
    assert keys.pseudonym_key != keys.sealing_key
    assert (target / "database-password").read_text() == (target / "postgres-password").read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="ownership is handed over only when run as root")
def test_make_secrets_gives_each_file_to_the_container_user_that_reads_it(tmp_path: Path) -> None:
    target = tmp_path / "secrets"
    assert make_secrets(target).returncode == 0
    owners = {p.name: p.stat().st_uid for p in target.iterdir()}
    assert owners["gateway.key"] == owners["database-password"] == 10001
    assert owners["postgres-password"] == 999  # the Debian PostgreSQL image's postgres user


def test_make_secrets_never_overwrites_a_key(tmp_path: Path) -> None:
    target = tmp_path / "secrets"
    assert make_secrets(target).returncode == 0
    before = (target / "log-checkpoint.key").read_bytes()
    second = make_secrets(target)
    assert second.returncode == 1
    assert "refusing to overwrite" in second.stderr
    assert (target / "log-checkpoint.key").read_bytes() == before


def run_entrypoint(tmp_path: Path, password: str, command: str) -> str:
    secret = tmp_path / "database-password"
    secret.write_text(password + "\n")
    env = {
        "PATH": os.environ["PATH"],
        "TMPDIR": str(tmp_path),
        "DATABASE_PASSWORD_FILE": str(secret),
    }
    done = subprocess.run(
        ["sh", str(m.ENTRYPOINT), "sh", "-c", command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_the_entrypoint_hands_libpq_a_private_password_file_with_escapes(tmp_path: Path) -> None:
    out = run_entrypoint(tmp_path, r"pa:ss\word", 'stat -c %a "$PGPASSFILE"; cat "$PGPASSFILE"')
    mode, line = out.splitlines()
    assert mode == "600"
    assert line == r"*:*:*:*:pa\:ss\\word"


def test_the_entrypoint_leaves_the_password_out_of_the_environment(tmp_path: Path) -> None:
    out = run_entrypoint(tmp_path, "correct-horse-battery", "env")
    assert "correct-horse-battery" not in out
    assert f"PGPASSFILE={tmp_path}/gateway.pgpass" in out.splitlines()


def test_the_entrypoint_refuses_to_start_without_the_password_file(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "DATABASE_PASSWORD_FILE": str(tmp_path / "missing")}
    done = subprocess.run(
        ["sh", str(m.ENTRYPOINT), "true"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "cannot read DATABASE_PASSWORD_FILE" in done.stderr
