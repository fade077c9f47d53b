"""deploy/k8s cannot be applied here (no cluster), so check it offline: the checked-in files are
the generator's output, every built-in resource validates against the Kubernetes schemas
(kubernetes-validate ships them), the operators' resources have what their operators need, and
ports, env names, topics and partitions agree with the code and with deploy/docker-compose.yml.
The overlays are rendered with kustomize when it is installed (deploy/k8s/kustomize.sh)."""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from chassis.policy import load_yaml, load_yaml_all
from homebed_schemas.topics import TOPICS

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy/k8s"
KUBERNETES_VERSION = "1.33.0"
CATALOGUE = load_yaml((K8S / "services.yaml").read_text())
PROCESSES: dict[str, dict[str, Any]] = CATALOGUE["processes"]
COMPOSE = load_yaml((ROOT / "deploy/docker-compose.yml").read_text())
OPERATOR_KINDS = {
    "Kafka": "kafka.strimzi.io/v1beta2",
    "KafkaNodePool": "kafka.strimzi.io/v1beta2",
    "KafkaTopic": "kafka.strimzi.io/v1beta2",
    "Cluster": "postgresql.cnpg.io/v1",
    "ScaledObject": "keda.sh/v1alpha1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
}
HELPER_ENV = {"DB_USER", "DB_PASSWORD"}  # composed into the database URL, from CNPG's secret


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("homebed_k8s_generate", K8S / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def base_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((K8S / "base").glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [doc for doc in load_yaml_all(path.read_text()) if doc]
    return docs


DOCS = base_documents()


def of_kind(kind: str, docs: list[dict[str, Any]] = DOCS) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def container(name: str) -> dict[str, Any]:
    return dict(of_kind("Deployment")[name]["spec"]["template"]["spec"]["containers"][0])


def env_of(name: str) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container(name)["env"]}


def settings_class(name: str) -> Any:
    module, _, attribute = PROCESSES[name]["settings"].partition(":")
    return getattr(importlib.import_module(module), attribute)


def validate_builtin(docs: list[dict[str, Any]]) -> int:
    checked = 0
    for doc in docs:
        if doc["kind"] in OPERATOR_KINDS:
            assert doc["apiVersion"] == OPERATOR_KINDS[doc["kind"]], doc["metadata"]["name"]
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        checked += 1
    return checked


def test_checked_in_manifests_are_the_generator_s_output() -> None:
    assert load_generator().main(["--check"]) == 0, "run: uv run python deploy/k8s/generate.py"


def test_base_resources_validate_against_the_kubernetes_schemas() -> None:
    assert validate_builtin(DOCS) > 40
    listed = load_yaml((K8S / "base/kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        p.name for p in (K8S / "base").glob("*.yaml") if p.name != "kustomization.yaml"
    )


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_overlays_render_and_validate(overlay: str) -> None:
    kustomization = load_yaml((K8S / f"overlays/{overlay}/kustomization.yaml").read_text())
    assert kustomization["resources"] == ["../../base"]
    kinds = {doc["kind"] for doc in DOCS}
    for patch in kustomization.get("patches", []):
        assert patch["target"]["kind"] in kinds  # a patch aimed at nothing is a silent no-op
    kustomize = shutil.which("kustomize") or _installed_kustomize()
    if kustomize is None:
        pytest.skip("kustomize is not installed (deploy/k8s/kustomize.sh ensure, make test)")
    rendered = subprocess.run(
        [kustomize, "build", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    docs = [doc for doc in load_yaml_all(rendered) if doc]
    assert validate_builtin(docs) > 40
    namespaced = [d for d in docs if d["kind"] not in {"PriorityClass"}]
    assert {d["metadata"].get("namespace") for d in namespaced} == {kustomization["namespace"]}
    topics = of_kind("KafkaTopic", docs)
    clusters = of_kind("Cluster", docs)
    if overlay == "dev":
        assert {t["spec"]["replicas"] for t in topics.values()} == {1}
        assert {c["spec"]["instances"] for c in clusters.values()} == {1}
        assert of_kind("KafkaNodePool", docs)["dual-role"]["spec"]["replicas"] == 1
    else:
        assert {t["spec"]["replicas"] for t in topics.values()} == {3}
        assert {c["spec"]["instances"] for c in clusters.values()} == {3}


def _installed_kustomize() -> str | None:
    found = subprocess.run(
        ["bash", str(K8S / "kustomize.sh"), "path"], capture_output=True, text=True, check=False
    )
    return found.stdout.strip() or None if found.returncode == 0 else None


def test_the_catalogue_names_the_compose_services() -> None:
    apps = {name for name, service in COMPOSE["services"].items() if "command" in service}
    assert set(PROCESSES) == apps - {"topics"}


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_commands_and_ports_agree_with_compose_and_the_gateway(name: str) -> None:
    from gateway.settings import DEFAULT_UPSTREAM_PORTS

    spec = PROCESSES[name]
    assert container(name)["command"] == COMPOSE["services"][name]["command"]
    if "port" in spec:
        command = container(name)["command"]
        assert int(command[command.index("--port") + 1]) == spec["port"]
        service = of_kind("Service")[name]
        assert service["spec"]["ports"][0]["port"] == spec["port"]
    if "upstream" in spec:
        assert DEFAULT_UPSTREAM_PORTS[spec["upstream"]] == spec["port"]


def test_the_gateway_reaches_every_upstream_at_its_service() -> None:
    import json

    from gateway.settings import DEFAULT_UPSTREAM_PORTS

    upstreams = json.loads(env_of("gateway")["HOMEBED_GATEWAY_UPSTREAMS"]["value"])
    assert set(upstreams) == set(DEFAULT_UPSTREAM_PORTS)
    for upstream, target in upstreams.items():
        host, port = target["url"].removeprefix("http://").split(":")
        assert int(port) == PROCESSES[host]["port"] == DEFAULT_UPSTREAM_PORTS[upstream]


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_env_names_are_settings_and_cover_compose(name: str) -> None:
    cls = settings_class(name)
    prefix = cls.model_config["env_prefix"]
    fields = {field.upper() for field in cls.model_fields}
    env = env_of(name)
    for variable in env:
        if variable in HELPER_ENV:
            continue
        if variable.startswith(prefix):
            assert variable.removeprefix(prefix) in fields, f"{name}: {variable} is no setting"
        else:
            assert variable.removeprefix("HOMEBED_") in fields, f"{name}: {variable} is no setting"
    missing = set(COMPOSE["services"][name]["environment"]) - set(env)
    assert not missing, f"{name}: compose sets {missing}, Kubernetes does not"


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_secrets_are_referenced_never_inlined(name: str) -> None:
    for variable, item in env_of(name).items():
        secret_like = any(w in variable for w in ("KEY", "SECRET", "PASSWORD", "TOKEN", "JWKS"))
        if secret_like or variable in (PROCESSES[name].get("secrets") or {}):
            assert "secretKeyRef" in item.get("valueFrom", {}), f"{name}: {variable} inlined"
    assert not of_kind("Secret")  # Secrets are the site's, created out of band


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_deployments_are_hardened_probed_and_sized(name: str) -> None:
    deployment = of_kind("Deployment")[name]
    pod = deployment["spec"]["template"]["spec"]
    app = container(name)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert app["securityContext"]["readOnlyRootFilesystem"] is True
    assert app["securityContext"]["allowPrivilegeEscalation"] is False
    assert app["resources"]["requests"]["cpu"]
    assert app["resources"]["limits"]["memory"]
    if "port" in PROCESSES[name]:
        assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert name in of_kind("ServiceMonitor")
    assert name in of_kind("PodDisruptionBudget")
    assert name in of_kind("NetworkPolicy")
    scaled = name in of_kind("HorizontalPodAutoscaler") or name in of_kind("ScaledObject")
    assert scaled


def test_only_the_gateway_and_the_device_edge_are_reachable_from_outside() -> None:
    open_to_all = {
        name
        for name, policy in of_kind("NetworkPolicy").items()
        if any("from" not in rule for rule in policy["spec"].get("ingress", []))
    }
    assert open_to_all == {"gateway", "iot-ingest", "iot-ingest-telemetry"}
    deny = of_kind("NetworkPolicy")["default-deny-ingress"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_service_monitors_label_targets_as_prometheus_yml_does() -> None:
    scrape = load_yaml((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    apps = {
        config["labels"]["app"]
        for job in scrape["scrape_configs"]
        for config in job["static_configs"]
    }
    for name, monitor in of_kind("ServiceMonitor").items():
        relabel = {
            r["targetLabel"]: r["replacement"]
            for r in monitor["spec"]["endpoints"][0]["relabelings"]
        }
        assert relabel["job"] == "homebed"
        assert relabel["app"] == PROCESSES[name]["app"]
        assert relabel["app"] in apps, f"{name}: prometheus.yml does not scrape {relabel['app']}"


def test_kafka_topics_are_the_registry_s_with_their_dlqs() -> None:
    expected = {}
    for spec in TOPICS:
        expected[spec.name] = spec.partitions
        expected[spec.dlq] = spec.partitions
    topics = {
        t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind("KafkaTopic").values()
    }
    assert topics == expected
    for topic in of_kind("KafkaTopic").values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] in of_kind("Kafka")


def test_keda_scales_the_worker_on_its_real_groups_within_the_partitions() -> None:
    from iot_ingest.settings import Settings

    scaled = of_kind("ScaledObject")["iot-ingest-worker"]["spec"]
    defaults = Settings()
    groups = {t["metadata"]["consumerGroup"] for t in scaled["triggers"]}
    assert groups == {defaults.rules_group, defaults.storage_group}
    partitions = {t.name: t.partitions for t in TOPICS}
    for trigger in scaled["triggers"]:
        assert trigger["metadata"]["topic"] in partitions
        assert scaled["maxReplicaCount"] <= partitions[trigger["metadata"]["topic"]]
    assert "iot-ingest-worker" not in of_kind("HorizontalPodAutoscaler")


def test_iot_ingest_processes_keep_their_priorities_and_roles() -> None:
    priority = {n: p["value"] for n, p in of_kind("PriorityClass").items()}
    rank = {
        name: priority[of_kind("Deployment")[name]["spec"]["template"]["spec"]["priorityClassName"]]
        for name in ("iot-ingest", "iot-ingest-telemetry", "iot-ingest-worker")
    }
    assert rank["iot-ingest"] > rank["iot-ingest-telemetry"] > rank["iot-ingest-worker"]
    shares = {name: COMPOSE["services"][name]["cpu_shares"] for name in rank}
    assert sorted(rank, key=rank.__getitem__) == sorted(shares, key=shares.__getitem__)
    for name in rank:
        role = env_of(name)["HOMEBED_IOT_INGEST_ROLE"]["value"]
        assert role == COMPOSE["services"][name]["environment"]["HOMEBED_IOT_INGEST_ROLE"]


def test_one_postgres_cluster_per_database_and_each_process_uses_its_own() -> None:
    clusters = of_kind("Cluster")
    databases = {c["spec"]["bootstrap"]["initdb"]["database"] for c in clusters.values()}
    assert databases == {spec["database"] for spec in PROCESSES.values()}
    for name, spec in PROCESSES.items():
        prefix = settings_class(name).model_config["env_prefix"]
        url = env_of(name)[f"{prefix}DATABASE_URL"]["value"]
        assert url.startswith("postgresql+asyncpg://")
        assert url.endswith(f"/{spec['database']}")


def test_the_alert_rules_and_dashboards_ship_as_they_are_checked() -> None:
    import json

    rules = of_kind("PrometheusRule")["homebed"]["spec"]["groups"]
    alerts = load_yaml((ROOT / "deploy/prometheus/alerts.yml").read_text())["groups"]
    assert rules == alerts
    shipped = of_kind("ConfigMap")["homebed-dashboards"]["data"]
    generated = {p.name: p.read_text() for p in (ROOT / "deploy/grafana/dashboards").glob("*.json")}
    assert shipped == generated
    assert all(json.loads(text)["uid"] for text in shipped.values())
