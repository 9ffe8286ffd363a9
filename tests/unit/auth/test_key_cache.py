"""KeyStore keeps parsed public keys only while their files are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from gateway.auth.keys import GATEWAY_KEY_NAME, KeyNotFoundError, KeyStore


def _raw(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def _replace_pair(store: KeyStore, issuer: str, base: Path) -> None:
    for suffix in (".pub", ".key"):
        base.with_suffix(suffix).unlink()
    assert store.ensure(issuer)


def test_a_replaced_agency_key_is_read_again(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.ensure("DOJ-FBI")
    first = store.public_key("DOJ-FBI")
    assert store.public_key("DOJ-FBI") is first  # unchanged file: the parsed key is kept
    _replace_pair(store, "DOJ-FBI", store.agencies_dir / "DOJ-FBI")
    second = store.public_key("DOJ-FBI")
    assert _raw(second) != _raw(first)
    assert _raw(second) == _raw(store.private_key("DOJ-FBI").public_key())


def test_a_removed_agency_key_is_no_longer_found(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.ensure("DOJ-FBI")
    store.public_key("DOJ-FBI")
    (store.agencies_dir / "DOJ-FBI.pub").unlink()
    with pytest.raises(KeyNotFoundError):
        store.public_key("DOJ-FBI")


def test_the_gateway_key_without_pub_file_follows_its_private_key(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.ensure(GATEWAY_KEY_NAME)
    (tmp_path / "gateway.pub").unlink()
    first = store.public_key(GATEWAY_KEY_NAME)
    assert _raw(first) == _raw(store.private_key(GATEWAY_KEY_NAME).public_key())
    store.gateway_key.unlink()
    store.ensure(GATEWAY_KEY_NAME)
    (tmp_path / "gateway.pub").unlink()
    assert _raw(store.public_key(GATEWAY_KEY_NAME)) != _raw(first)
