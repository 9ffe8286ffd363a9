"""What the schemas cannot say: the rules the deployment files must keep.

Each check is a function over the parsed files, run on the committed files by the
tests below, and on a deliberately broken copy by ``test_*_bites`` tests, so a check
that stopped looking would fail.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable
from typing import Any

import pytest

from gateway.audit.logkey import LOG_KEY_FILE
from gateway.audit.sealing import PSEUDONYM_KEY_FILE, SEALING_KEY_FILE
from gateway.auth.keys import GATEWAY_KEY_NAME
from gateway.settings import Settings
from tests.deploy import manifests as m

GATEWAY_KEY_FILES = {
    f"{GATEWAY_KEY_NAME}.key",
    f"{GATEWAY_KEY_NAME}.pub",
    LOG_KEY_FILE,
    PSEUDONYM_KEY_FILE,
    SEALING_KEY_FILE,
}
"""The files the gateway reads from ``GATEWAY_HOME/keys`` (its own code's names)."""
KEYS_DIR = "/var/lib/gateway/keys"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|(^|_)KEY($|_)", re.IGNORECASE)
SECRET_VALUE = re.compile(r"-----BEGIN|://[^/@\s:]+:[^/@\s]+@")
"""A PEM block, or a URL with ``user:password@``."""


# --- checks -----------------------------------------------------------------------------


def hardening_problems(workload: m.Doc) -> list[str]:
    """Non-root, read-only root, no privilege escalation, no capabilities, resources."""
    problems = []
    pod_sc = m.pod_spec(workload).get("securityContext", {})
    for c in m.containers(workload):
        sc = {**pod_sc, **c.get("securityContext", {})}
        where = f"{workload['metadata']['name']}/{c['name']}"
        if sc.get("runAsNonRoot") is not True or sc.get("runAsUser", 0) == 0:
            problems.append(f"{where}: may run as root")
        if c.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: writable root file system")
        if c.get("securityContext", {}).get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: privilege escalation allowed")
        if c.get("securityContext", {}).get("privileged", False):
            problems.append(f"{where}: privileged")
        if c.get("securityContext", {}).get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: capabilities not all dropped")
        if c.get("securityContext", {}).get("capabilities", {}).get("add"):
            problems.append(f"{where}: capabilities added")
        for part in ("requests", "limits"):
            have = c.get("resources", {}).get(part, {})
            if not {"cpu", "memory"} <= set(have):
                problems.append(f"{where}: no {part} for cpu and memory")
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in c:
                problems.append(f"{where}: no {probe}")
    if m.pod_spec(workload).get("automountServiceAccountToken") is not False:
        problems.append(f"{workload['metadata']['name']}: service account token mounted")
    if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{workload['metadata']['name']}: no RuntimeDefault seccomp profile")
    return problems


def http_probe(c: m.Doc, probe: str) -> tuple[str, Any]:
    get = c[probe]["httpGet"]
    return get["path"], get["port"]


def env_problems(name: str, value: object, where: str) -> list[str]:
    """A secret must be a file: an env var may name a path to it, never hold it."""
    text = str(value)
    if SECRET_VALUE.search(text):
        return [f"{where}: {name} holds a secret value"]
    if SECRET_NAME.search(name) and not (name.endswith("_FILE") and text.startswith("/")):
        return [f"{where}: {name} looks like a secret given as a value"]
    return []


def k8s_env_problems(docs: Iterable[m.Doc]) -> list[str]:
    problems = []
    docs = list(docs)
    for workload in m.workloads(docs):
        for c in m.containers(workload):
            where = f"{workload['metadata']['name']}/{c['name']}"
            for var in c.get("env", []):
                if "secretKeyRef" in var.get("valueFrom", {}):
                    problems.append(f"{where}: {var['name']} from a Secret (mount it as a file)")
                problems += env_problems(var["name"], var.get("value", ""), where)
            for source in c.get("envFrom", []):
                if "secretRef" in source:
                    problems.append(f"{where}: environment from a Secret (mount it as a file)")
    for cm in (d for d in docs if d["kind"] == "ConfigMap"):
        for key, value in cm.get("data", {}).items():
            if key.isupper():  # settings as variables, not files such as config.yaml
                problems += env_problems(key, value, f"ConfigMap {cm['metadata']['name']}")
    return problems


def compose_env_problems(doc: m.Doc) -> list[str]:
    problems = []
    for name, service in doc["services"].items():
        env = service.get("environment", {})
        items = env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)
        for key, value in items:
            problems += env_problems(key, value, f"compose {name}")
    return problems


def network_problems(docs: list[m.Doc]) -> list[str]:
    """Default deny; the gateway's port open; PostgreSQL for the gateway only; OPA for none."""
    problems = []
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    gateway = next(d for d in m.workloads(docs) if d["metadata"]["name"] == "gateway")
    database = next(d for d in m.workloads(docs) if d["metadata"]["name"] == "postgres")
    gateway_labels, database_labels = m.pod_labels(gateway), m.pod_labels(database)
    gateway_ports = {p["containerPort"] for p in m.container(gateway, "gateway").get("ports", [])}
    if not any(
        p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
        for p in policies
    ):
        problems.append("no default-deny policy for every pod")
    for p in policies:
        spec = p["spec"]
        name = p["metadata"]["name"]
        for rule in spec.get("ingress", []):
            ports = {port.get("port") for port in rule.get("ports", [])}
            sources = rule.get("from", [])
            opens_gateway = m.selects(spec["podSelector"], gateway_labels) and spec["podSelector"]
            if opens_gateway and (not ports or not ports <= gateway_ports):
                problems.append(f"{name}: gateway pods open beyond {sorted(gateway_ports)}")
            if m.selects(spec["podSelector"], database_labels) and spec["podSelector"]:
                only_gateway = sources and all(
                    set(s) == {"podSelector"}
                    and m.selects(s["podSelector"], gateway_labels)
                    and not m.selects(s["podSelector"], database_labels)
                    for s in sources
                )
                if not only_gateway:
                    problems.append(f"{name}: PostgreSQL reachable by more than the gateway")
                if ports != {5432}:
                    problems.append(f"{name}: PostgreSQL open beyond 5432")
    selected = [p for p in policies if p["spec"]["podSelector"]]
    if not any(m.selects(p["spec"]["podSelector"], gateway_labels) for p in selected):
        problems.append("no policy selects the gateway pods")
    if not any(m.selects(p["spec"]["podSelector"], database_labels) for p in selected):
        problems.append("no policy selects the PostgreSQL pods")
    return problems


def opa_args(command: list[str]) -> dict[str, str]:
    return dict(a.removeprefix("--").split("=", 1) for a in command if "=" in a)


def opa_problems(command: list[str]) -> list[str]:
    """OPA listens on loopback only, with the deploy/opa config and the bundle key file."""
    args = opa_args(command)
    problems = []
    if not args.get("addr", "").startswith("127.0.0.1:"):
        problems.append(f"OPA listens on {args.get('addr', 'localhost:8181 (default)')}")
    if args.get("config-file") != "/etc/opa/config.yaml":
        problems.append("OPA does not read /etc/opa/config.yaml")
    if "skip-verify" in command or "--skip-verify" in command:
        problems.append("OPA skips bundle verification")
    return problems


# --- Kubernetes ---------------------------------------------------------------------------


def k8s_docs() -> list[m.Doc]:
    return [d for _, d in m.k8s_documents()]


def test_every_container_is_non_root_read_only_unprivileged_and_bounded() -> None:
    workloads = m.workloads(k8s_docs())
    assert {w["metadata"]["name"] for w in workloads} == {"gateway", "postgres"}
    assert [p for w in workloads for p in hardening_problems(w)] == []


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("readOnlyRootFilesystem", False, "gateway/opa: writable root file system"),
        ("allowPrivilegeEscalation", True, "gateway/opa: privilege escalation allowed"),
        ("runAsUser", 0, "gateway/opa: may run as root"),
    ],
)
def test_the_hardening_check_bites(field: str, value: object, expected: str) -> None:
    deployment = copy.deepcopy(m.k8s_named("Deployment", "gateway"))
    m.container(deployment, "opa")["securityContext"][field] = value
    assert expected in hardening_problems(deployment)


def test_the_hardening_check_sees_a_container_without_limits() -> None:
    deployment = copy.deepcopy(m.k8s_named("Deployment", "gateway"))
    del m.container(deployment, "gateway")["resources"]["limits"]
    assert hardening_problems(deployment) == ["gateway/gateway: no limits for cpu and memory"]


def test_the_gateway_is_live_on_healthz_and_ready_on_readyz_at_its_port() -> None:
    deployment = m.k8s_named("Deployment", "gateway")
    gateway = m.container(deployment, "gateway")
    (port,) = gateway["ports"]
    assert http_probe(gateway, "livenessProbe") == ("/healthz", port["name"])
    assert http_probe(gateway, "readinessProbe") == ("/readyz", port["name"])
    assert port["containerPort"] == 8000
    assert gateway["args"][-2:] == ["--port", "8000"]


def test_the_opa_sidecar_is_ready_only_once_its_signed_bundle_is_active() -> None:
    opa = m.container(m.k8s_named("Deployment", "gateway"), "opa")
    assert "http://127.0.0.1:8181/health?bundles" in " ".join(
        opa["readinessProbe"]["exec"]["command"]
    )
    assert opa_problems(opa["command"] + opa["args"]) == []


def test_the_opa_check_bites_on_a_sidecar_listening_on_every_address() -> None:
    args = [
        a.replace("127.0.0.1", "0.0.0.0")  # noqa: S104 - the broken case
        for a in m.container(m.k8s_named("Deployment", "gateway"), "opa")["args"]
    ]
    assert opa_problems(args) == ["OPA listens on 0.0.0.0:8181"]


def test_no_secret_is_an_environment_value_in_the_manifests() -> None:
    assert k8s_env_problems(k8s_docs()) == []


def test_the_secret_check_bites_on_a_password_in_the_database_url() -> None:
    docs = copy.deepcopy(k8s_docs())
    settings = next(d for d in docs if d["metadata"]["name"] == "gateway-settings")
    settings["data"]["GATEWAY_DATABASE_URL"] = "postgresql+psycopg://gateway:hunter2@db/gateway"
    assert k8s_env_problems(docs) == [
        "ConfigMap gateway-settings: GATEWAY_DATABASE_URL holds a secret value"
    ]


def test_the_secret_check_bites_on_a_secret_given_as_an_environment_variable() -> None:
    docs = copy.deepcopy(k8s_docs())
    postgres = next(d for d in docs if d["kind"] == "StatefulSet")
    postgres_env = m.container(postgres, "postgres")["env"]
    postgres_env.append(
        {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "p", "key": "k"}}}
    )
    assert len(k8s_env_problems(docs)) == 2  # from a Secret, and a secret-named variable


def test_the_gateway_keys_are_mounted_as_files_where_the_gateway_reads_them() -> None:
    pod = m.pod_spec(m.k8s_named("Deployment", "gateway"))
    secret_volumes = {v["name"] for v in pod["volumes"] if "secret" in v}
    mounts = m.container(m.k8s_named("Deployment", "gateway"), "gateway")["volumeMounts"]
    keys = {
        mt["mountPath"].removeprefix(KEYS_DIR + "/"): mt["subPath"]
        for mt in mounts
        if mt["name"] in secret_volumes and mt["mountPath"].startswith(KEYS_DIR + "/")
    }
    assert set(keys) == GATEWAY_KEY_FILES
    assert all(name == sub for name, sub in keys.items())
    assert all(mt.get("readOnly") for mt in mounts if mt["name"] in secret_volumes)
    settings = m.k8s_named("ConfigMap", "gateway-settings")["data"]
    assert settings["GATEWAY_HOME"] + "/keys" == KEYS_DIR
    (password,) = [mt for mt in mounts if mt["name"] == "database-password"]
    assert settings["DATABASE_PASSWORD_FILE"].startswith(password["mountPath"] + "/")


def test_the_network_policies_let_only_the_gateway_reach_postgres_and_only_its_port_in() -> None:
    assert network_problems(k8s_docs()) == []


def test_the_network_check_bites_on_postgres_open_to_every_pod() -> None:
    docs = copy.deepcopy(k8s_docs())
    policy = next(
        d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "postgres"
    )
    policy["spec"]["ingress"][0]["from"] = [{"podSelector": {}}]
    assert network_problems(docs) == ["postgres: PostgreSQL reachable by more than the gateway"]


def test_the_network_check_bites_on_the_opa_port_opened_on_the_gateway_pods() -> None:
    docs = copy.deepcopy(k8s_docs())
    policy = next(
        d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "gateway"
    )
    policy["spec"]["ingress"][0]["ports"].append({"protocol": "TCP", "port": 8181})
    assert network_problems(docs) == ["gateway: gateway pods open beyond [8000]"]


def test_the_network_check_bites_on_a_policy_that_no_longer_selects_the_gateway() -> None:
    docs = copy.deepcopy(k8s_docs())
    policy = next(
        d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "gateway"
    )
    policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] = "api"
    assert network_problems(docs) == ["no policy selects the gateway pods"]


def test_service_and_disruption_budget_select_the_gateway_pods() -> None:
    deployment = m.k8s_named("Deployment", "gateway")
    labels = m.pod_labels(deployment)
    assert m.selects(deployment["spec"]["selector"], labels)
    service = m.k8s_named("Service", "gateway")
    assert m.selects({"matchLabels": service["spec"]["selector"]}, labels)
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    pdb = m.k8s_named("PodDisruptionBudget", "gateway")
    assert m.selects(pdb["spec"]["selector"], labels)
    assert 1 <= pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    database = m.k8s_named("StatefulSet", "postgres")
    assert not m.selects(pdb["spec"]["selector"], m.pod_labels(database))
    assert not m.selects({"matchLabels": service["spec"]["selector"]}, m.pod_labels(database))


def test_the_opa_config_map_is_deploy_opa_config_yaml() -> None:
    assert m.k8s_named("ConfigMap", "opa-config")["data"]["config.yaml"] == m.OPA_CONFIG.read_text()


# --- settings: names the gateway knows, values it accepts in production --------------------


def gateway_variables(env: dict[str, str]) -> dict[str, str]:
    return {k: str(v) for k, v in env.items() if k.startswith("GATEWAY_")}


def unknown_settings(env: dict[str, str]) -> list[str]:
    """GATEWAY_* names that are no setting (pydantic-settings would silently ignore them)."""
    known = {f"GATEWAY_{name.upper()}" for name in Settings.model_fields}
    return sorted(set(gateway_variables(env)) - known)


def production_settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [k for k in os.environ if k.startswith("GATEWAY_")]:
        monkeypatch.delenv(name)
    for name, value in gateway_variables(env).items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    settings.check_production()
    return settings


def test_the_config_map_sets_only_real_settings_and_passes_the_production_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = m.k8s_named("ConfigMap", "gateway-settings")["data"]
    assert unknown_settings(env) == []
    settings = production_settings(env, monkeypatch)
    assert settings.environment == "production"
    assert settings.opa_url == "http://127.0.0.1:8181"
    assert settings.policy_reload_interval_seconds == 0


def test_the_compose_gateway_sets_only_real_settings_and_passes_the_production_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = m.compose()["services"]["gateway"]["environment"]
    assert unknown_settings(env) == []
    production_settings(env, monkeypatch)


def test_the_settings_check_bites_on_a_misspelt_variable() -> None:
    env = dict(m.k8s_named("ConfigMap", "gateway-settings")["data"])
    env["GATEWAY_OPA_ADDRESS"] = env.pop("GATEWAY_OPA_URL")
    assert unknown_settings(env) == ["GATEWAY_OPA_ADDRESS"]


def test_both_deployments_name_the_log_alike_and_reach_opa_on_the_port_it_listens_on() -> None:
    k8s_env = m.k8s_named("ConfigMap", "gateway-settings")["data"]
    compose_env = m.compose()["services"]["gateway"]["environment"]
    assert k8s_env["GATEWAY_LOG_ORIGIN"] == compose_env["GATEWAY_LOG_ORIGIN"]
    opa = m.container(m.k8s_named("Deployment", "gateway"), "opa")
    listens = opa_args(opa["args"])["addr"]
    assert k8s_env["GATEWAY_OPA_URL"] == compose_env["GATEWAY_OPA_URL"] == f"http://{listens}"


# --- compose ----------------------------------------------------------------------------------


def compose_opa_problems(doc: m.Doc) -> list[str]:
    opa = doc["services"]["opa"]
    problems = opa_problems(opa["command"])
    if opa.get("ports") or opa.get("expose"):
        problems.append("OPA publishes a port")
    if opa.get("network_mode") != "service:gateway":
        problems.append("OPA is not in the gateway's network namespace")
    return problems


def test_the_compose_opa_is_on_the_gateways_loopback_and_publishes_no_port() -> None:
    assert compose_opa_problems(m.compose()) == []


def test_the_compose_opa_check_bites_on_a_published_port() -> None:
    doc = m.compose()
    doc["services"]["opa"]["ports"] = ["8181:8181"]
    assert compose_opa_problems(doc) == ["OPA publishes a port"]


def test_compose_and_kubernetes_start_opa_the_same_way() -> None:
    opa = m.container(m.k8s_named("Deployment", "gateway"), "opa")
    compose_opa = m.compose()["services"]["opa"]
    assert compose_opa["entrypoint"] + compose_opa["command"] == opa["command"] + opa["args"]


def test_no_secret_is_an_environment_value_in_compose() -> None:
    assert compose_env_problems(m.compose()) == []


def test_the_compose_secret_check_bites_on_a_literal_password() -> None:
    doc = m.compose()
    doc["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] = "hunter2"
    assert compose_env_problems(doc) == [
        "compose postgres: POSTGRES_PASSWORD looks like a secret given as a value"
    ]


def test_compose_mounts_every_gateway_key_where_the_gateway_reads_it() -> None:
    doc = m.compose()
    targets = {
        s["target"].removeprefix(KEYS_DIR + "/")
        for s in doc["services"]["gateway"]["secrets"]
        if s["target"].startswith(KEYS_DIR + "/")
    }
    assert targets == GATEWAY_KEY_FILES
    assert doc["services"]["gateway"]["environment"]["DATABASE_PASSWORD_FILE"] in {
        s["target"] for s in doc["services"]["gateway"]["secrets"]
    }
    postgres = doc["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] in {
        s["target"] for s in postgres["secrets"]
    }


def test_compose_keeps_postgres_off_every_network_but_the_internal_one() -> None:
    doc = m.compose()
    postgres = doc["services"]["postgres"]
    assert "ports" not in postgres
    assert postgres["networks"] == ["backend"]
    assert doc["networks"]["backend"] == {"internal": True}
    assert "backend" in doc["services"]["gateway"]["networks"]


def test_compose_health_checks_ask_readyz_opa_health_and_pg_isready() -> None:
    services = m.compose()["services"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(services["gateway"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8181/health?bundles" in " ".join(
        services["opa"]["healthcheck"]["test"]
    )
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    assert services["gateway"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_compose_service_runs_hardened_and_bounded() -> None:
    for name, service in m.compose()["services"].items():
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert not service["user"].startswith("0"), name
        assert {"cpus", "memory"} <= set(service["deploy"]["resources"]["limits"]), name


# --- one OPA version everywhere -------------------------------------------------------------


def image_tags(doc_images: Iterable[str]) -> set[str]:
    return {image.rsplit(":", 1)[1] for image in doc_images}


def test_the_image_carries_the_makefiles_opa_and_uv_versions() -> None:
    opa_version = m.makefile_variable("OPA_VERSION")
    assert m.dockerfile_arg("OPA_VERSION") == opa_version
    assert m.dockerfile_arg("UV_VERSION") == m.makefile_variable("UV_VERSION")
    build = m.compose()["services"]["gateway"]["build"]
    assert build["args"] == {
        "OPA_VERSION": opa_version,
        "UV_VERSION": m.makefile_variable("UV_VERSION"),
    }
    compose_images = [s["image"] for s in m.compose()["services"].values() if "opa" in s["image"]]
    k8s_images = [
        c["image"]
        for w in m.workloads(k8s_docs())
        for c in m.containers(w)
        if c["name"] in ("gateway", "opa")
    ]
    assert len(compose_images) == 2
    assert len(k8s_images) == 2
    assert image_tags(compose_images + k8s_images) == {f"0.1.0-opa-{opa_version}"}


def test_the_dockerfile_builds_opa_from_its_go_module_and_runs_as_the_gateway_user() -> None:
    text = m.DOCKERFILE.read_text()
    assert 'go install "github.com/open-policy-agent/opa@${OPA_VERSION}"' in text
    assert not re.search(r"^(ADD|RUN .*(curl|wget))", text, re.MULTILINE)
    assert "uv sync --frozen" in text
    final_stage = text.rsplit("\nFROM ", 1)[1]
    assert final_stage.startswith("python:3.11-slim")
    assert "\nUSER 10001:10001\n" in final_stage
