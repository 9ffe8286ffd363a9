"""The deployment files as data, for the checks in tests/deploy.

Everything is read from the committed files on every call (no cache), so a test that
edits a copy sees its edit; the ``*_from`` variants take a document that a test broke.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
OPA_CONFIG = DEPLOY / "opa" / "config.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
MAKEFILE = REPO / "Makefile"
ENTRYPOINT = DEPLOY / "gateway-entrypoint.sh"
MAKE_SECRETS = DEPLOY / "make_secrets.py"

KUBERNETES_VERSION = "1.33.0"
"""The Kubernetes release whose API the manifests are written for and validated against."""

GATEWAY_LABELS = {
    "app.kubernetes.io/name": "taxpayer-gateway",
    "app.kubernetes.io/component": "gateway",
}
DATABASE_LABELS = {
    "app.kubernetes.io/name": "taxpayer-gateway",
    "app.kubernetes.io/component": "database",
}

Doc = dict[str, Any]


def k8s_documents() -> list[tuple[str, Doc]]:
    """(file name, document) for every document of every deploy/k8s/*.yaml file."""
    docs: list[tuple[str, Doc]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend((path.name, d) for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def k8s_kind(kind: str) -> list[Doc]:
    return [d for _, d in k8s_documents() if d["kind"] == kind]


def k8s_named(kind: str, name: str) -> Doc:
    (doc,) = [d for d in k8s_kind(kind) if d["metadata"]["name"] == name]
    return doc


def compose() -> Doc:
    data: Doc = yaml.safe_load(COMPOSE.read_text())
    return data


def opa_config() -> Doc:
    data: Doc = yaml.safe_load(OPA_CONFIG.read_text())
    return data


def workloads(docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")]


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Doc) -> Iterator[Doc]:
    """Every container of a workload's pods, init containers included."""
    spec = pod_spec(workload)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def container(workload: Doc, name: str) -> Doc:
    (found,) = [c for c in containers(workload) if c["name"] == name]
    return found


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a Kubernetes label selector (matchLabels and matchExpressions) matches."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def pod_labels(workload: Doc) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(\S+)\s*$", MAKEFILE.read_text(), re.MULTILINE)
    assert match, f"{name} not set in the Makefile"
    return match.group(1)


def dockerfile_arg(name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)\s*$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match, f"no ARG {name}=… default in deploy/Dockerfile"
    return match.group(1)
