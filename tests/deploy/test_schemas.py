"""Every deployment file validates against the published schema of its format, offline.

Kubernetes: the strict JSON schemas that ``kubernetes-validate`` ships for each release
(strict: an unknown field, such as a misspelt ``readOnlyRootFilesystem``, is an error,
where a cluster would silently drop it). Compose: the compose-spec schema that
``check-jsonschema`` ships (``builtin_schemas/vendor/compose-spec.json``, Apache-2.0,
from the compose-spec project). No container engine, no cluster, no network.
"""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.deploy import manifests as m


def validate_k8s(doc: m.Doc) -> str:
    version: str = kubernetes_validate.validate(doc, m.KUBERNETES_VERSION, strict=True)
    return version


def compose_validator() -> jsonschema.Draft202012Validator:
    text = files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    schema: dict[str, Any] = json.loads(text.read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def compose_errors(doc: m.Doc) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in compose_validator().iter_errors(doc)]


@pytest.mark.parametrize(
    ("file", "doc"),
    m.k8s_documents(),
    ids=[f"{f}:{d['kind']}/{d['metadata']['name']}" for f, d in m.k8s_documents()],
)
def test_every_kubernetes_manifest_validates_against_the_pinned_release(
    file: str, doc: m.Doc
) -> None:
    assert validate_k8s(doc) == m.KUBERNETES_VERSION.rsplit(".", 1)[0], file


def test_the_manifests_hold_what_the_deployment_needs() -> None:
    kinds = sorted({d["kind"] for _, d in m.k8s_documents()})
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "Namespace",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "StatefulSet",
    ]


def test_the_strict_kubernetes_schema_refuses_a_misspelt_security_field() -> None:
    deployment = copy.deepcopy(m.k8s_named("Deployment", "gateway"))
    sc = m.container(deployment, "gateway")["securityContext"]
    sc["readOnlyRootFilesytem"] = sc.pop("readOnlyRootFilesystem")
    with pytest.raises(kubernetes_validate.ValidationError, match="readOnlyRootFilesytem"):
        validate_k8s(deployment)


def test_the_strict_kubernetes_schema_refuses_a_wrongly_typed_value() -> None:
    deployment = copy.deepcopy(m.k8s_named("Deployment", "gateway"))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_k8s(deployment)


def test_the_compose_file_validates_against_the_compose_specification() -> None:
    assert compose_errors(m.compose()) == []


def test_the_compose_schema_refuses_an_unknown_service_field() -> None:
    doc = m.compose()
    doc["services"]["opa"]["read_only_root"] = True
    assert any("read_only_root" in e for e in compose_errors(doc))


def test_the_compose_schema_refuses_an_unknown_start_condition() -> None:
    doc = m.compose()
    doc["services"]["gateway"]["depends_on"]["postgres"]["condition"] = "service_ready"
    assert any("depends_on" in e for e in compose_errors(doc))
