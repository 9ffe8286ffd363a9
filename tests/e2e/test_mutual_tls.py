"""`gateway serve` over TLS, with agencies' tokens bound to their client certificates.

Real TLS connections to the served gateway, with a CA, a server certificate and
client certificates this test makes (``cryptography``). The FBI's registry
entry names its certificate: its token is accepted only on a connection that
presented that certificate; a certificate registered to the FBI cannot carry
another agency's token; an agency that registered none is unaffected.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import shutil
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.auth.keys import KeyStore
from gateway.auth.tokens import mint_token
from gateway.pdp.process import free_loopback_port
from tests import scenarios as sc
from tests.conftest import DEMO_JSONL, POLICY_DIR
from tests.e2e.served import GATEWAY, cli, gateway_env
from tests.support import official_for


@dataclass(frozen=True)
class Pki:
    ca: Path
    server: tuple[Path, Path]
    fbi: tuple[Path, Path]
    ice: tuple[Path, Path]
    fbi_fingerprint: str


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _make_pki(directory: Path) -> Pki:
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("test agencies CA"))
        .issuer_name(_name("test agencies CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    def issue(
        cn: str, usage: x509.ObjectIdentifier, san: x509.GeneralName | None
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        if san is not None:
            builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), key

    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server = issue(
        "gateway",
        ExtendedKeyUsageOID.SERVER_AUTH,
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    )
    fbi = issue("DOJ-FBI client", ExtendedKeyUsageOID.CLIENT_AUTH, None)
    ice = issue("DHS-ICE-HSI client", ExtendedKeyUsageOID.CLIENT_AUTH, None)
    return Pki(
        ca=ca_path,
        server=_write(directory, "server", *server),
        fbi=_write(directory, "fbi", *fbi),
        ice=_write(directory, "ice", *ice),
        fbi_fingerprint=fbi[0].fingerprint(hashes.SHA256()).hex(),
    )


def _policies_binding_fbi(target: Path, fingerprint: str) -> Path:
    shutil.copytree(POLICY_DIR, target)
    path = target / "registry" / "agencies" / "data.json"
    agencies = json.loads(path.read_text())
    agencies["DOJ-FBI"]["client_certificate_sha256"] = fingerprint
    path.write_text(json.dumps(agencies, indent=2) + "\n")
    return target


def _client(pki: Pki, cert: tuple[Path, Path] | None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(pki.ca))
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    return httpx.Client(verify=context, timeout=30)


@dataclass(frozen=True)
class Served:
    url: str
    pki: Pki
    keys: KeyStore

    def token(self, agency: str, role: str) -> dict[str, str]:
        token = mint_token(
            self.keys,
            issuer=agency,
            subject=official_for(agency, role),
            audience="taxpayer-gateway",
            now=datetime.now(UTC),
            lifetime=timedelta(minutes=5),
        )
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def served_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("mtls")
    pki = _make_pki(root)
    env = gateway_env(root / "home")
    env.update(
        GATEWAY_POLICY_DIR=str(_policies_binding_fbi(root / "policies", pki.fbi_fingerprint)),
        GATEWAY_TLS_CERT_FILE=str(pki.server[0]),
        GATEWAY_TLS_KEY_FILE=str(pki.server[1]),
        GATEWAY_TLS_CLIENT_CA_FILE=str(pki.ca),
        GATEWAY_TLS_CLIENT_AUTH="optional",
    )
    cli(env, "keys", "init")
    cli(env, "store", "import", str(DEMO_JSONL))
    port = free_loopback_port()
    url = f"https://127.0.0.1:{port}"
    log_path = root / "serve.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        try:
            deadline = time.monotonic() + 60
            with _client(pki, None) as probe:
                while True:
                    assert proc.poll() is None, log_path.read_text()
                    try:
                        if probe.get(f"{url}/readyz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert time.monotonic() < deadline, log_path.read_text()
                    time.sleep(0.2)
            yield Served(url, pki, KeyStore(root / "home" / "keys"))
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _lookup(
    served: Served, cert: tuple[Path, Path] | None, agency: str, role: str
) -> httpx.Response:
    body = sc.fbi_i2() if agency == "DOJ-FBI" else sc.ice_1253()
    with _client(served.pki, cert) as client:
        return client.post(
            f"{served.url}/v1/address-lookups", json=body, headers=served.token(agency, role)
        )


@pytest.mark.e2e
def test_plain_http_is_not_spoken_on_the_tls_port(served_tls: Served) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(served_tls.url.replace("https://", "http://") + "/healthz", timeout=5)


@pytest.mark.e2e
def test_the_fbi_token_is_answered_over_the_fbi_certificate(served_tls: Served) -> None:
    resp = _lookup(served_tls, served_tls.pki.fbi, "DOJ-FBI", "FBI_DIRECTOR")
    assert resp.status_code == 200, resp.text
    assert resp.json()["outcome"] == "allowed"


@pytest.mark.e2e
@pytest.mark.parametrize("cert", ["none", "ice"])
def test_the_fbi_token_without_the_fbi_certificate_is_refused(
    served_tls: Served, cert: str
) -> None:
    presented = None if cert == "none" else served_tls.pki.ice
    resp = _lookup(served_tls, presented, "DOJ-FBI", "FBI_DIRECTOR")
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "client certificate" in resp.json()["detail"]


@pytest.mark.e2e
def test_the_fbi_certificate_cannot_carry_another_agencys_token(served_tls: Served) -> None:
    resp = _lookup(served_tls, served_tls.pki.fbi, "DHS-ICE-HSI", "COMPONENT_HEAD")
    assert resp.status_code == 401, resp.text
    assert "another agency" in resp.json()["detail"]


@pytest.mark.e2e
@pytest.mark.parametrize("cert", ["none", "ice"])
def test_an_agency_that_registered_no_certificate_is_unaffected(
    served_tls: Served, cert: str
) -> None:
    presented = None if cert == "none" else served_tls.pki.ice
    resp = _lookup(served_tls, presented, "DHS-ICE-HSI", "COMPONENT_HEAD")
    assert resp.status_code == 200, resp.text
