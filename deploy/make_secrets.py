"""Create the secret files a deployment mounts (deploy/compose.yaml, deploy/k8s/).

Run from the repository root, once per deployment::

    uv run python deploy/make_secrets.py deploy/secrets \
        --log-origin gateway.agency.example/decisions

The key files are made by the gateway's own key code, so they are exactly what
``gateway serve`` loads from ``GATEWAY_HOME/keys``; the names are the ones the
compose file and the Kubernetes manifests mount. An existing file is never
overwritten: a second run refuses rather than silently replacing a key that signed
or sealed part of the log. As root, each file is given to the container user that
reads it (compose bind-mounts secret files with their host owner and mode, its
``uid``/``mode`` fields are ignored outside Swarm).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.audit.logkey import LOG_KEY_FILE, ensure_log_key
from gateway.audit.sealing import PSEUDONYM_KEY_FILE, SEALING_KEY_FILE, AuditKeys
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore

GATEWAY_UID = 10001
"""The gateway image's user (deploy/Dockerfile)."""
POSTGRES_UID = 999
"""The ``postgres`` user of the Debian-based PostgreSQL image."""

GATEWAY_FILES = (
    f"{GATEWAY_KEY_NAME}.key",
    f"{GATEWAY_KEY_NAME}.pub",
    LOG_KEY_FILE,
    PSEUDONYM_KEY_FILE,
    SEALING_KEY_FILE,
    "database-password",
)
"""Read by the gateway container: its keys (under GATEWAY_HOME/keys) and the DB password."""
POSTGRES_FILES = ("postgres-password",)
"""The same password, a second file so that PostgreSQL's user can own its copy."""
BUNDLE_FILES = ("policy-signing.key", "policy-verification.pem")
"""ES256 pair: the image build signs the OPA bundle, the sidecar verifies it."""
ALL_FILES = GATEWAY_FILES + POSTGRES_FILES + BUNDLE_FILES


def make(target: Path, log_origin: str) -> list[Path]:
    """Write every file into ``target``; refuse if any of them exists already."""
    clashes = [name for name in ALL_FILES if (target / name).exists()]
    if clashes:
        raise FileExistsError(f"refusing to overwrite {', '.join(clashes)} in {target}")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)
    with tempfile.TemporaryDirectory() as scratch:
        keys = Path(scratch)
        # Provisioned keys: without the demo mark production refuses.
        KeyStore(keys).ensure(GATEWAY_KEY_NAME, demo=False)
        ensure_log_key(keys, log_origin, demo=False)
        AuditKeys.load_or_create(keys, demo=False)
        for name in GATEWAY_FILES[:5]:
            shutil.copyfile(keys / name, target / name)
    password = secrets.token_urlsafe(32)
    for name in ("database-password", *POSTGRES_FILES):
        (target / name).write_text(password + "\n")
    signing = ec.generate_private_key(ec.SECP256R1())
    (target / BUNDLE_FILES[0]).write_bytes(
        signing.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (target / BUNDLE_FILES[1]).write_bytes(
        signing.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    written = [target / name for name in ALL_FILES]
    for path in written:
        path.chmod(0o444 if path.name.endswith((".pub", ".pem")) else 0o400)
    if os.geteuid() == 0:
        for name in GATEWAY_FILES:
            os.chown(target / name, GATEWAY_UID, GATEWAY_UID)
        for name in POSTGRES_FILES:
            os.chown(target / name, POSTGRES_UID, POSTGRES_UID)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="directory to create the files in")
    parser.add_argument(
        "--log-origin",
        required=True,
        help="the deployment's GATEWAY_LOG_ORIGIN (the checkpoint key is named after it)",
    )
    args = parser.parse_args(argv)
    try:
        written = make(args.target, args.log_origin)
    except FileExistsError as exc:
        print(f"make_secrets: {exc}", file=sys.stderr)
        return 1
    print(f"make_secrets: wrote {len(written)} files to {args.target}", file=sys.stderr)
    if os.geteuid() != 0:
        print(
            f"make_secrets: not root, so owners are unchanged: compose needs uid {GATEWAY_UID} "
            f"to read {', '.join(GATEWAY_FILES)} and uid {POSTGRES_UID} to read "
            f"{', '.join(POSTGRES_FILES)}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
