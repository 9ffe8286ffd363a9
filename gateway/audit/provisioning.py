"""Where the gateway's keys come from, and the production refusal of keys it should not use.

Development is convenient: a missing key is created (as a marked demo key) at
the path its setting names. Production never creates a key — a key the gateway
made for itself is one nobody provisioned, backed up or escrowed — so
:func:`check_production_keys` refuses, before anything starts:

* a missing token, checkpoint, pseudonym or sealing key file;
* a demo key (the mark :mod:`gateway.auth.keys` puts in every key the gateway
  creates) among them or among the agencies' registered public keys;
* an agency *private* key beside the registered public keys (agencies keep
  theirs; only ``gateway keys init`` writes one, for local tokens);
* a key published with this repository for tests (the golden log's keys), by
  fingerprint.

Each refusal is one :class:`~gateway.settings.UnsafeSettingError` line naming
the setting and what to do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from gateway.audit.logkey import ensure_log_key_file, log_signer_from_file
from gateway.audit.sealing import AuditKeys, new_key_bytes, read_key
from gateway.audit.signer import NoteSigner
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore, is_demo_key, write_key_file
from gateway.settings import Settings, UnsafeSettingError

__all__ = [
    "PUBLISHED_TEST_KEYS",
    "audit_keys",
    "check_production_keys",
    "checkpoint_signer",
    "key_store",
]

PUBLISHED_TEST_KEYS = frozenset(
    {
        # tests/assets/golden_log: the checkpoint key's public key, the pseudonym and
        # sealing keys (scripts/build_golden_log.py derives them from fixed labels).
        "97e4e4316dadbbdb77d77d535a9255db2cd18b619512cd99409762430955c4ed",
        "944ddb93ea4fc5e9d5663d09021e003fe01d47899119e8f6f48c6bd8b561464b",
        "50fb5dd54cc46ace62b5567be218141f5052ed5d3c7fd88647ebaba9b0071aee",
    }
)
"""SHA-256 of key material published with the repository: never a production key."""


def key_store(settings: Settings) -> KeyStore:
    """The token keys where the settings put them."""
    return KeyStore(
        settings.keys_dir,
        gateway_key=settings.token_key_path,
        agencies_dir=settings.agency_keys_path,
    )


def _development(settings: Settings) -> bool:
    return settings.environment != "production"


def checkpoint_signer(settings: Settings) -> NoteSigner:
    """The log's checkpoint signer; created (demo) only in development."""
    path = settings.checkpoint_key_path
    if _development(settings):
        ensure_log_key_file(path, settings.log_origin)
    return log_signer_from_file(path, settings.log_origin)


def audit_keys(settings: Settings) -> AuditKeys:
    """The pseudonym and sealing keys (and the retired ones); created only in development."""
    if _development(settings):
        for path in (settings.pseudonym_key_path, settings.sealing_key_path):
            if not path.exists():
                write_key_file(path, new_key_bytes(demo=True)[1])  # keeps a racing process's
    return AuditKeys.load(
        settings.pseudonym_key_path, settings.sealing_key_path, settings.retired_keys_path
    )


def _fingerprint(material: bytes) -> str:
    return hashlib.sha256(material).hexdigest()


def _require(path: Path, setting: str) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnsafeSettingError(
            f"production needs the key file {path} ({setting}); the gateway never creates keys"
            " in production: provision them (deploy/make_secrets.py)"
        ) from None
    if is_demo_key(data):
        raise UnsafeSettingError(
            f"{path} ({setting}) is a demo key made by the gateway for development;"
            " provision a production key"
        )
    return data


def _published(path: Path, setting: str, material: bytes) -> None:
    if _fingerprint(material) in PUBLISHED_TEST_KEYS:
        raise UnsafeSettingError(
            f"{path} ({setting}) is a test key published with the gateway's source"
        )


def check_production_keys(settings: Settings) -> None:
    """Refuse missing, demo, self-created or published keys when in production."""
    if _development(settings):
        return
    _require(settings.token_key_path, "GATEWAY_TOKEN_KEY_FILE")
    store = key_store(settings)
    try:
        store.private_key(GATEWAY_KEY_NAME)
    except (ValueError, LookupError) as exc:
        raise UnsafeSettingError(
            f"{settings.token_key_path} (GATEWAY_TOKEN_KEY_FILE) is not an Ed25519 private key"
        ) from exc
    _require(settings.checkpoint_key_path, "GATEWAY_CHECKPOINT_KEY_FILE")
    try:
        signer = log_signer_from_file(settings.checkpoint_key_path, settings.log_origin)
    except ValueError as exc:
        raise UnsafeSettingError(
            f"{settings.checkpoint_key_path} (GATEWAY_CHECKPOINT_KEY_FILE) is not an Ed25519"
            " private key"
        ) from exc
    _published(
        settings.checkpoint_key_path,
        "GATEWAY_CHECKPOINT_KEY_FILE",
        signer.verifier.public_key_bytes,
    )
    for path, setting in (
        (settings.pseudonym_key_path, "GATEWAY_PSEUDONYM_KEY_FILE"),
        (settings.sealing_key_path, "GATEWAY_SEALING_KEY_FILE"),
    ):
        _require(path, setting)
        try:
            key = read_key(path)
        except ValueError as exc:
            raise UnsafeSettingError(f"{path} ({setting}): {exc}") from exc
        _published(path, setting, key)
    agencies = settings.agency_keys_path
    if agencies.is_dir():
        for private in sorted(agencies.glob("*.key")):
            raise UnsafeSettingError(
                f"{private} is an agency's private key: in production agencies keep their"
                " private keys and register only the public key (GATEWAY_AGENCY_KEYS_DIR)"
            )
        for public in sorted(agencies.glob("*.pub")):
            data = public.read_bytes()
            if is_demo_key(data):
                raise UnsafeSettingError(
                    f"{public} is a demo agency key made by `gateway keys init`; register the"
                    " agency's own public key"
                )
            serialization.load_pem_public_key(data)
