"""The log's checkpoint signing key: one Ed25519 key file, by default under ``GATEWAY_HOME/keys``.

The key is named after the log's origin (``GATEWAY_LOG_ORIGIN``), as C2SP
tlog-checkpoint asks, so its verifier key text reads
``<origin>+<key id>+<base64 key>``. The file is PKCS#8 PEM, created with mode
0600 and never overwritten in place. ``gateway keys init`` and a development
start create a demo key (marked, see :mod:`gateway.auth.keys`); production
never creates one, it must be provisioned (``GATEWAY_CHECKPOINT_KEY_FILE``).
``gateway keys rotate checkpoint`` replaces it through a signed rotation
(:mod:`gateway.audit.rotation`), never by swapping the file.
"""

from __future__ import annotations

from pathlib import Path

from gateway.audit.signer import NoteSigner, generate_signer, signer_from_pem
from gateway.auth.keys import mark_demo, write_key_file

__all__ = [
    "LOG_KEY_FILE",
    "ensure_log_key",
    "ensure_log_key_file",
    "load_log_signer",
    "log_signer_from_file",
    "write_log_key",
]

LOG_KEY_FILE = "log-checkpoint.key"


def write_log_key(path: Path, signer: NoteSigner, *, demo: bool) -> bool:
    """Create ``path`` holding ``signer`` (0600, fsync'd); False if it exists."""
    pem = signer.to_pem()
    return write_key_file(path, mark_demo(pem) if demo else pem)


def ensure_log_key_file(path: Path, origin: str, *, demo: bool = True) -> bool:
    """Create the log's signing key at ``path`` unless it exists; True if created now."""
    if path.exists():
        return False
    # Another process may create it first: write_key_file then keeps theirs.
    return write_log_key(path, generate_signer(origin), demo=demo)


def ensure_log_key(keys_dir: Path, origin: str, *, demo: bool = True) -> bool:
    """:func:`ensure_log_key_file` at the development location ``keys_dir/log-checkpoint.key``."""
    return ensure_log_key_file(keys_dir / LOG_KEY_FILE, origin, demo=demo)


def log_signer_from_file(path: Path, origin: str) -> NoteSigner:
    """The signer named ``origin`` from ``path``; FileNotFoundError if absent."""
    return signer_from_pem(origin, path.read_bytes())


def load_log_signer(keys_dir: Path, origin: str, *, create: bool = False) -> NoteSigner:
    """The log's signer named ``origin``; FileNotFoundError if absent and not ``create``."""
    if create:
        ensure_log_key(keys_dir, origin)
    return log_signer_from_file(keys_dir / LOG_KEY_FILE, origin)
