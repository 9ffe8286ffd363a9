"""The sidecar's OPA, started as the deployment files start it, with the real OPA binary.

No container runs here, so the image's paths are rewritten to temporary files; every
flag otherwise is the one in deploy/k8s/gateway.yaml (which equals compose's, see
test_policies). The bundle is built and signed with the flags deploy/Dockerfile uses,
then the gateway's own OPA adapter asks it for a decision. A bundle that is unsigned
or signed by another key must never decide: that is what the signing config is for.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.errors import PolicyEngineUnavailableError
from gateway.pdp.opa import OpaPolicyEngine
from gateway.pdp.process import free_loopback_port
from tests.conftest import POLICY_DIR, opa_binary_path
from tests.deploy import manifests as m

IMAGE_CONFIG = "/etc/opa/config.yaml"
IMAGE_KEY = "/etc/opa/keys/policy-verification.pem"
EXAMPLE_INPUT = POLICY_DIR / "examples" / "f-fbi-i2" / "input.json"


def key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = directory / f"{name}.key", directory / f"{name}.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def dockerfile_build_flags() -> list[str]:
    """The ``opa build`` signing flags of deploy/Dockerfile, secret path left out."""
    text = m.DOCKERFILE.read_text()
    command = text[text.index("opa build --bundle") :].split("--output")[0]
    flags = re.findall(r"(--[a-z-]+) (\S+)", command.replace("\\\n", " "))
    return [part for flag, value in flags if flag != "--signing-key" for part in (flag, value)]


def build_bundle(target: Path, signing_key: Path | None) -> Path:
    signing = ["--signing-key", str(signing_key), *dockerfile_build_flags()] if signing_key else []
    subprocess.run(
        [str(opa_binary_path()), "build", "--bundle", ".", *signing, "--output", str(target)],
        cwd=POLICY_DIR,
        check=True,
        capture_output=True,
    )
    return target


def sidecar_argv(port: int, bundle: Path, public_key: Path) -> list[str]:
    opa = m.container(m.k8s_named("Deployment", "gateway"), "opa")
    argv = [str(opa_binary_path())]
    for arg in opa["args"]:
        arg = arg.replace("127.0.0.1:8181", f"127.0.0.1:{port}")
        arg = arg.replace(IMAGE_CONFIG, str(m.OPA_CONFIG)).replace(IMAGE_KEY, str(public_key))
        argv.append(arg)
    resource = m.opa_config()["bundles"]["gateway"]["resource"]
    assert resource.startswith("file:///app/bundle/")  # where the Dockerfile puts it
    return [*argv, f"--set=bundles.gateway.resource=file://{bundle}"]


@contextmanager
def sidecar(bundle: Path, public_key: Path, log: Path) -> Iterator[str]:
    port = free_loopback_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            sidecar_argv(port, bundle, public_key), stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        else:
            pytest.fail(f"OPA did not start: {log.read_text()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bundles_healthy(url: str, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        if httpx.get(f"{url}/health?bundles", timeout=1).status_code == 200:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def test_the_dockerfile_signs_with_the_key_id_and_algorithm_the_config_verifies() -> None:
    config = m.opa_config()
    keyid = config["bundles"]["gateway"]["signing"]["keyid"]
    flags = dockerfile_build_flags()
    assert flags[flags.index("--verification-key-id") + 1] == keyid
    assert flags[flags.index("--signing-alg") + 1] == config["keys"][keyid]["algorithm"]


def test_the_opa_config_sends_nothing_anywhere() -> None:
    config = m.opa_config()
    assert not {"services", "status", "discovery"} & set(config)
    assert config["decision_logs"] == {"console": False}
    assert config["bundles"]["gateway"]["signing"]["keyid"] in config["keys"]


def test_the_sidecar_decides_with_a_bundle_signed_as_the_image_build_signs_it(
    tmp_path: Path,
) -> None:
    private, public = key_pair(tmp_path, "policy")
    bundle = build_bundle(tmp_path / "policy.tar.gz", private)
    with sidecar(bundle, public, tmp_path / "opa.log") as url:
        assert bundles_healthy(url, wait_seconds=20)
        engine = OpaPolicyEngine(url, timeout_seconds=5)
        try:
            assert engine.healthy()
            decision = engine.decide(json.loads(EXAMPLE_INPUT.read_text()))
        finally:
            engine.close()
    assert decision.outcome == "ALLOW"  # policies/README.md: f-fbi-i2 releases TP-1001
    assert [s.ref for s in decision.subjects] == ["TP-1001"]


@pytest.mark.parametrize("signed_by", ["another key", "nobody"])
def test_the_sidecar_refuses_a_bundle_not_signed_by_the_deployments_key(
    tmp_path: Path, signed_by: str
) -> None:
    _, public = key_pair(tmp_path, "policy")
    other, _ = key_pair(tmp_path, "other")
    bundle = build_bundle(tmp_path / "policy.tar.gz", other if signed_by == "another key" else None)
    log = tmp_path / "opa.log"
    with sidecar(bundle, public, log) as url:
        deadline = time.monotonic() + 20
        while "Bundle load failed" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert re.search(
            r"Bundle load failed: .*(signature|verif|\.signatures\.json)", log.read_text()
        )
        assert not bundles_healthy(url, wait_seconds=0)
        engine = OpaPolicyEngine(url, timeout_seconds=5)
        try:
            with pytest.raises(PolicyEngineUnavailableError):
                engine.decide(json.loads(EXAMPLE_INPUT.read_text()))
        finally:
            engine.close()
