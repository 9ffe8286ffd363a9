"""Production refuses keys nobody provisioned: missing, demo, published, or an agency's own.

The provisioned set is made as ``deploy/make_secrets.py`` makes it (no demo mark);
each test then spoils one thing and expects a one-line refusal naming it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.logkey import ensure_log_key
from gateway.audit.provisioning import audit_keys, check_production_keys, checkpoint_signer
from gateway.audit.sealing import AuditKeys
from gateway.auth.keys import GATEWAY_KEY_NAME, KeyStore
from gateway.settings import Settings, UnsafeSettingError

PG = "postgresql+psycopg://gateway@db.internal/gateway"
ORIGIN = "prod.example/decisions"


def _provisioned(keys: Path) -> None:
    KeyStore(keys).ensure(GATEWAY_KEY_NAME, demo=False)
    ensure_log_key(keys, ORIGIN, demo=False)
    AuditKeys.load_or_create(keys, demo=False)


def _production(home: Path, **extra: object) -> Settings:
    return Settings(
        environment="production",
        home=home,
        database_url=PG,
        log_origin=ORIGIN,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    _provisioned(tmp_path / "keys")
    return tmp_path


def test_provisioned_keys_pass_and_are_read_not_created(home: Path) -> None:
    settings = _production(home)
    check_production_keys(settings)
    before = sorted(p.name for p in settings.keys_dir.iterdir())
    assert checkpoint_signer(settings).name == ORIGIN
    audit_keys(settings)
    assert sorted(p.name for p in settings.keys_dir.iterdir()) == before


@pytest.mark.parametrize(
    ("missing", "setting"),
    [
        ("gateway.key", "GATEWAY_TOKEN_KEY_FILE"),
        ("log-checkpoint.key", "GATEWAY_CHECKPOINT_KEY_FILE"),
        ("audit-pseudonym.key", "GATEWAY_PSEUDONYM_KEY_FILE"),
        ("audit-sealing.key", "GATEWAY_SEALING_KEY_FILE"),
    ],
)
def test_a_missing_key_is_refused_and_never_created(home: Path, missing: str, setting: str) -> None:
    (home / "keys" / missing).unlink()
    settings = _production(home)
    with pytest.raises(UnsafeSettingError, match=setting):
        check_production_keys(settings)
    if missing != "gateway.key":
        with pytest.raises(FileNotFoundError):
            checkpoint_signer(settings) if missing == "log-checkpoint.key" else audit_keys(settings)
    assert not (home / "keys" / missing).exists()


@pytest.mark.parametrize(
    "demo", ["gateway.key", "log-checkpoint.key", "audit-pseudonym.key", "audit-sealing.key"]
)
def test_a_demo_key_the_gateway_made_for_itself_is_refused(tmp_path: Path, demo: str) -> None:
    made = tmp_path / "made"
    dev = Settings(home=made, log_origin=ORIGIN)  # a development start creates what it lacks
    KeyStore(dev.keys_dir).ensure(GATEWAY_KEY_NAME)
    checkpoint_signer(dev)
    audit_keys(dev)
    _provisioned(tmp_path / "keys")
    (tmp_path / "keys" / demo).write_bytes((dev.keys_dir / demo).read_bytes())
    with pytest.raises(UnsafeSettingError, match="demo key"):
        check_production_keys(_production(tmp_path))


def test_an_agency_private_key_or_demo_agency_key_is_refused(home: Path) -> None:
    settings = _production(home)
    KeyStore(settings.keys_dir).ensure("DOJ-FBI")  # what `gateway keys init` writes
    with pytest.raises(UnsafeSettingError, match="private key"):
        check_production_keys(settings)
    (settings.agency_keys_path / "DOJ-FBI.key").unlink()
    with pytest.raises(UnsafeSettingError, match="demo agency key"):
        check_production_keys(settings)
    registered = Ed25519PrivateKey.generate().public_key()
    (settings.agency_keys_path / "DOJ-FBI.pub").write_bytes(
        registered.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    check_production_keys(settings)


def test_the_golden_logs_published_keys_are_refused(home: Path) -> None:
    label = "taxpayer-gateway golden log: sealing"
    (home / "keys" / "audit-sealing.key").write_bytes(hashlib.sha256(label.encode()).digest())
    with pytest.raises(UnsafeSettingError, match="published"):
        check_production_keys(_production(home))


def test_key_files_may_be_mounted_anywhere(home: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "run-secrets"
    secrets.mkdir()
    for name in ("log-checkpoint.key", "audit-sealing.key"):
        (home / "keys" / name).rename(secrets / name)
    settings = _production(
        home,
        checkpoint_key_file=secrets / "log-checkpoint.key",
        sealing_key_file=secrets / "audit-sealing.key",
    )
    check_production_keys(settings)
    assert checkpoint_signer(settings).name == ORIGIN
    assert audit_keys(settings).sealing_key == (secrets / "audit-sealing.key").read_bytes()
