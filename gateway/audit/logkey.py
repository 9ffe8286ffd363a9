"""The log's checkpoint signing key: one Ed25519 key file under ``GATEWAY_HOME/keys``.

The key is named after the log's origin (``GATEWAY_LOG_ORIGIN``), as C2SP
tlog-checkpoint asks, so its verifier key text reads
``<origin>+<key id>+<base64 key>``. The file is PKCS#8 PEM, created once with
mode 0600 and never overwritten; ``gateway keys init`` and the first start of
the gateway create it.
"""

from __future__ import annotations

import os
from pathlib import Path

from gateway.audit.signer import NoteSigner, generate_signer, signer_from_pem

__all__ = ["LOG_KEY_FILE", "ensure_log_key", "load_log_signer"]

LOG_KEY_FILE = "log-checkpoint.key"


def ensure_log_key(keys_dir: Path, origin: str) -> bool:
    """Create the log's signing key unless it exists; True if it was created now."""
    path = keys_dir / LOG_KEY_FILE
    if path.exists():
        return False
    keys_dir.mkdir(parents=True, exist_ok=True)
    pem = generate_signer(origin).to_pem()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: keep theirs
        return False
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    return True


def load_log_signer(keys_dir: Path, origin: str, *, create: bool = False) -> NoteSigner:
    """The log's signer named ``origin``; FileNotFoundError if absent and not ``create``."""
    if create:
        ensure_log_key(keys_dir, origin)
    return signer_from_pem(origin, (keys_dir / LOG_KEY_FILE).read_bytes())
