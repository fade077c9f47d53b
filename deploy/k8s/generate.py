"""Kubernetes manifests from deploy/k8s/services.yaml and the topic registry: a kustomize base
and the dev and prod overlays. `python deploy/k8s/generate.py` writes them; `--check` fails when
the checked-in files differ (tests/test_k8s_manifests.py).

What is generated is what repeats: per process a Deployment (probes, resources, non-root,
read-only root filesystem), a Service, an HPA or a KEDA ScaledObject, a PodDisruptionBudget, a
NetworkPolicy and a ServiceMonitor; the Strimzi KafkaTopics (with their DLQs) from
homebed_schemas.topics; one CloudNativePG Cluster per database; the alert rules
(deploy/prometheus/alerts.yml) as a PrometheusRule and the dashboards as a ConfigMap. The operators (Strimzi,
CloudNativePG, KEDA, Prometheus Operator) are installed first: README "Deploying on Kubernetes".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from homebed_schemas.topics import TOPICS

HERE = Path(__file__).resolve().parent
PART_OF = {"app.kubernetes.io/part-of": "homebed"}
KAFKA_CLUSTER = "homebed"
KAFKA_BOOTSTRAP = f"{KAFKA_CLUSTER}-kafka-bootstrap:9092"
MONITORING_NAMESPACE = "monitoring"  # where Prometheus (the Operator's) runs
PRIORITIES = {  # value: the alarm lane first when the nodes are short of CPU (issue 15)
    "homebed-alarm-lane": (
        100000,
        "the safety lanes: svc-iot-ingest's alarm lane and svc-notify's API (falls, gas, calls)",
    ),
    "homebed-telemetry-lane": (
        10000,
        "svc-iot-ingest's telemetry lane (device readings), svc-notify's worker (SMS, digests)",
    ),
    "homebed-worker": (1000, "svc-iot-ingest's rule engine and storage worker"),
}
Manifest = dict[str, Any]


def load_services() -> dict[str, Any]:
    return dict(yaml.safe_load((HERE / "services.yaml").read_text()))


def cluster_name(database: str) -> str:
    return f"{database.replace('_', '-')}-db"


def labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, **PART_OF}


def _env(name: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    prefix = spec["env_prefix"]
    cluster = cluster_name(spec["database"])
    app_secret = f"{cluster}-app"  # created by CloudNativePG for the database's owner
    env: list[dict[str, Any]] = [
        {"name": "HOMEBED_ENV", "value": "prod"},
        {"name": "HOMEBED_KAFKA_BOOTSTRAP", "value": KAFKA_BOOTSTRAP},
        {
            "name": "HOMEBED_INTERNAL_TOKEN_KEY",
            "valueFrom": {"secretKeyRef": {"name": "homebed-internal", "key": "token-key"}},
        },
        {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": app_secret, "key": "username"}}},
        {
            "name": "DB_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": app_secret, "key": "password"}},
        },
        {
            "name": f"{prefix}DATABASE_URL",
            "value": f"postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@{cluster}-rw:5432/"
            f"{spec['database']}",
        },
    ]
    for key, value in (spec.get("env") or {}).items():
        env.append({"name": key, "value": str(value)})
    owner = spec.get("secrets_of", name)  # a second process of a service reads its Secret
    for key, secret_key in (spec.get("secrets") or {}).items():
        env.append(
            {
                "name": key,
                "valueFrom": {"secretKeyRef": {"name": f"homebed-{owner}", "key": secret_key}},
            }
        )
    return env


def deployment(name: str, spec: dict[str, Any], image: str) -> Manifest:
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "command": [str(part) for part in spec["command"]],
        "env": _env(name, spec),
        "resources": {
            "requests": {"cpu": spec["cpu"], "memory": spec["memory"]},
            # no CPU limit: CFS throttling would delay an alarm; memory is bounded
            "limits": {"memory": spec["memory"]},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
    }
    if "port" in spec:
        ports = [{"name": "http", "containerPort": spec["port"]}]
        if "metrics_port" in spec:
            ports.append({"name": "metrics", "containerPort": spec["metrics_port"]})
        container["ports"] = ports
        probe = {"port": "http"}
        container["startupProbe"] = {
            "httpGet": {"path": "/healthz", **probe},
            "periodSeconds": 2,
            "failureThreshold": 60,  # migrations run at start (auto_migrate)
        }
        container["livenessProbe"] = {
            "httpGet": {"path": "/healthz", **probe},
            "periodSeconds": 10,
            "failureThreshold": 3,
        }
        container["readinessProbe"] = {
            "httpGet": {"path": "/readyz", **probe},
            "periodSeconds": 5,
            "failureThreshold": 2,
        }
    pod: dict[str, Any] = {
        "serviceAccountName": "homebed",
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
            }
        ],
    }
    if "priority" in spec:
        pod["priorityClassName"] = spec["priority"]
    scaling = spec["scaling"]
    replicas = scaling["hpa"]["min"] if "hpa" in scaling else 1
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {"metadata": {"labels": labels(name)}, "spec": pod},
        },
    }


def service(name: str, spec: dict[str, Any]) -> Manifest:
    ports = [{"name": "http", "port": spec["port"], "targetPort": "http"}]
    if "metrics_port" in spec:
        ports.append({"name": "metrics", "port": spec["metrics_port"], "targetPort": "metrics"})
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {"selector": {"app.kubernetes.io/name": name}, "ports": ports},
    }


def scaler(name: str, spec: dict[str, Any], partitions: dict[str, int]) -> Manifest:
    scaling = spec["scaling"]
    if "hpa" in scaling:
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels(name)},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": scaling["hpa"]["min"],
                "maxReplicas": scaling["hpa"]["max"],
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        }
    keda = scaling["keda"]
    # more consumers than partitions would idle: the registry's partitions cap the replicas
    maximum = min(keda["max"], partitions[keda["topic"]])
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "scaleTargetRef": {"name": name},
            "minReplicaCount": 1,
            "maxReplicaCount": maximum,
            "pollingInterval": 15,
            "cooldownPeriod": 300,
            "triggers": [
                {
                    "type": "kafka",
                    "metadata": {
                        "bootstrapServers": KAFKA_BOOTSTRAP,
                        "consumerGroup": group,
                        "topic": keda["topic"],
                        "lagThreshold": str(keda["lag"]),
                        "offsetResetPolicy": "latest",
                    },
                }
                for group in keda["groups"]
            ],
        },
    }


def disruption_budget(name: str) -> Manifest:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
        },
    }


def network_policy(name: str, spec: dict[str, Any]) -> Manifest:
    """Ingress only: public processes from anywhere on their HTTP port, the others from HomeBed
    pods (the gateway and each other); Prometheus from its namespace. The worker takes none."""
    ingress: list[dict[str, Any]] = []
    if "port" in spec:
        http = [{"protocol": "TCP", "port": spec["port"]}]
        if spec["exposure"] == "public":
            ingress.append({"ports": http})
        else:
            ingress.append({"from": [{"podSelector": {"matchLabels": PART_OF}}], "ports": http})
        metrics_port = spec.get("metrics_port", spec["port"])
        ingress.append(
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}
                        }
                    }
                ],
                "ports": [{"protocol": "TCP", "port": metrics_port}],
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    }


def service_monitor(name: str, spec: dict[str, Any]) -> Manifest:
    # the same `job` and `app` labels as deploy/prometheus/prometheus.yml: the alerts and the
    # dashboards work unchanged
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "endpoints": [
                {
                    "port": "metrics" if "metrics_port" in spec else "http",
                    "path": "/metrics",
                    "interval": "15s",
                    "relabelings": [
                        {"targetLabel": "job", "replacement": "homebed"},
                        {"targetLabel": "app", "replacement": spec["app"]},
                    ],
                }
            ],
        },
    }


def process_manifests(
    name: str, spec: dict[str, Any], image: str, partitions: dict[str, int]
) -> list[Manifest]:
    docs = [deployment(name, spec, image)]
    if "port" in spec:
        docs.append(service(name, spec))
    docs.append(scaler(name, spec, partitions))
    docs.append(disruption_budget(name))
    docs.append(network_policy(name, spec))
    if "port" in spec:
        docs.append(service_monitor(name, spec))
    return docs


def gateway_upstreams(processes: dict[str, Any]) -> str:
    """The gateway's HOMEBED_GATEWAY_UPSTREAMS: each upstream at its Service's DNS name."""
    import json

    return json.dumps(
        {
            spec["upstream"]: {"url": f"http://{name}:{spec['port']}"}
            for name, spec in processes.items()
            if "upstream" in spec
        },
        sort_keys=True,
    )


def kafka() -> list[Manifest]:
    """Strimzi in KRaft mode: one node pool of three brokers/controllers (dev: one), the topic
    operator for the KafkaTopics below."""
    return [
        {
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "KafkaNodePool",
            "metadata": {"name": "dual-role", "labels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
            "spec": {
                "replicas": 3,
                "roles": ["controller", "broker"],
                "storage": {
                    "type": "jbod",
                    "volumes": [
                        {
                            "id": 0,
                            "type": "persistent-claim",
                            "size": "50Gi",
                            "deleteClaim": False,
                            "kraftMetadata": "shared",
                        }
                    ],
                },
                "resources": {
                    "requests": {"cpu": "500m", "memory": "2Gi"},
                    "limits": {"memory": "2Gi"},
                },
            },
        },
        {
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "Kafka",
            "metadata": {
                "name": KAFKA_CLUSTER,
                "annotations": {
                    "strimzi.io/node-pools": "enabled",
                    "strimzi.io/kraft": "enabled",
                },
            },
            "spec": {
                "kafka": {
                    "version": "4.1.0",
                    "listeners": [
                        {"name": "plain", "port": 9092, "type": "internal", "tls": False}
                    ],
                    "config": {
                        "auto.create.topics.enable": False,
                        "offsets.topic.replication.factor": 3,
                        "transaction.state.log.replication.factor": 3,
                        "transaction.state.log.min.isr": 2,
                        "default.replication.factor": 3,
                        "min.insync.replicas": 2,
                    },
                },
                "entityOperator": {"topicOperator": {}},
            },
        },
    ]


def kafka_topics() -> list[Manifest]:
    """Every registry topic and its DLQ (same partitions: same keys, order kept), as
    chassis.kafka.topics creates them for `make run`."""
    docs = []
    for spec in TOPICS:
        for topic in (spec.name, spec.dlq):
            docs.append(
                {
                    "apiVersion": "kafka.strimzi.io/v1beta2",
                    "kind": "KafkaTopic",
                    "metadata": {
                        "name": topic.replace(".", "-"),
                        "labels": {"strimzi.io/cluster": KAFKA_CLUSTER, **PART_OF},
                        "annotations": {"homebed.io/producer": spec.producer},
                    },
                    "spec": {
                        "topicName": topic,
                        "partitions": spec.partitions,
                        "replicas": 3,
                        "config": {"min.insync.replicas": 2},
                    },
                }
            )
    return docs


def postgres_clusters(databases: list[str]) -> list[Manifest]:
    """One CloudNativePG Cluster per service database; CNPG creates `<cluster>-app` (the owner's
    credentials, read by the Deployments) and the `<cluster>-rw` Service."""
    docs: list[Manifest] = []
    for database in databases:
        docs.append(
            {
                "apiVersion": "postgresql.cnpg.io/v1",
                "kind": "Cluster",
                "metadata": {"name": cluster_name(database), "labels": PART_OF},
                "spec": {
                    "instances": 3,
                    "imageName": "ghcr.io/cloudnative-pg/postgresql:16",
                    "storage": {"size": "20Gi"},
                    "bootstrap": {"initdb": {"database": database, "owner": database}},
                    "monitoring": {"enablePodMonitor": True},
                },
            }
        )
    # the databases accept the HomeBed pods, their own instances (replication) and the operator
    docs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "postgres", "labels": PART_OF},
            "spec": {
                "podSelector": {
                    "matchExpressions": [{"key": "cnpg.io/cluster", "operator": "Exists"}]
                },
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {"podSelector": {"matchLabels": PART_OF}},
                            {
                                "podSelector": {
                                    "matchExpressions": [
                                        {"key": "cnpg.io/cluster", "operator": "Exists"}
                                    ]
                                }
                            },
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}
                                }
                            },
                        ]
                    },
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {
                                        "kubernetes.io/metadata.name": MONITORING_NAMESPACE
                                    }
                                }
                            }
                        ],
                        "ports": [{"protocol": "TCP", "port": 9187}],
                    },
                ],
            },
        }
    )
    return docs


def platform() -> list[Manifest]:
    docs: list[Manifest] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "homebed", "labels": PART_OF},
            "automountServiceAccountToken": False,
        },
        {  # nothing enters a pod of the namespace unless a policy below lets it
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny-ingress", "labels": PART_OF},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
    ]
    for name, (value, description) in PRIORITIES.items():
        docs.append(
            {
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": name, "labels": PART_OF},
                "value": value,
                "globalDefault": False,
                "description": description,
            }
        )
    return docs


def monitoring() -> list[Manifest]:
    """The alert rules as a PrometheusRule and the dashboards as a ConfigMap for Grafana's
    dashboard sidecar (kube-prometheus-stack): the same files `make test` checks."""
    deploy = HERE.parent
    rules = yaml.safe_load((deploy / "prometheus/alerts.yml").read_text())
    dashboards = {
        path.name: path.read_text()
        for path in sorted((deploy / "grafana/dashboards").glob("*.json"))
    }
    return [
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "homebed", "labels": PART_OF},
            "spec": {"groups": rules["groups"]},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "homebed-dashboards",
                "labels": {"grafana_dashboard": "1", **PART_OF},
                "annotations": {"grafana_folder": "HomeBed"},
            },
            "data": dashboards,
        },
    ]


def dump(docs: list[Manifest]) -> str:
    header = "# Generated by deploy/k8s/generate.py from deploy/k8s/services.yaml: do not edit.\n"
    return header + "---\n".join(
        yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100) for doc in docs
    )


def settings_prefix(settings: str) -> str:
    import importlib

    module, _, attribute = settings.partition(":")
    cls = getattr(importlib.import_module(module), attribute)
    return str(cls.model_config["env_prefix"])


def render() -> dict[str, str]:
    """Every generated file: path relative to deploy/k8s -> text."""
    catalogue = load_services()
    processes: dict[str, Any] = catalogue["processes"]
    image = f"{catalogue['image']}:latest"
    partitions = {t.name: t.partitions for t in TOPICS}
    files: dict[str, str] = {}
    for name, spec in processes.items():
        spec = {**spec, "env_prefix": settings_prefix(spec["settings"])}
        if name == "gateway":
            spec["env"] = {
                **(spec.get("env") or {}),
                "HOMEBED_GATEWAY_UPSTREAMS": gateway_upstreams(processes),
            }
        files[f"base/{name}.yaml"] = dump(process_manifests(name, spec, image, partitions))
    files["base/platform.yaml"] = dump(platform())
    files["base/monitoring.yaml"] = dump(monitoring())
    files["base/kafka.yaml"] = dump(kafka())
    files["base/kafka-topics.yaml"] = dump(kafka_topics())
    databases = sorted({spec["database"] for spec in processes.values()})
    files["base/postgres.yaml"] = dump(postgres_clusters(databases))
    resources = sorted(path.removeprefix("base/") for path in files)
    files["base/kustomization.yaml"] = dump(
        [
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": resources,
            }
        ]
    )
    files["overlays/dev/kustomization.yaml"] = dump([dev_overlay(processes)])
    files["overlays/prod/kustomization.yaml"] = dump([prod_overlay()])
    return files


def _replace(path: str, value: object) -> list[dict[str, object]]:
    return [{"op": "replace", "path": path, "value": value}]


def dev_overlay(processes: dict[str, Any]) -> Manifest:
    """One of everything: one broker, one PostgreSQL instance, one replica per process."""
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": "homebed-dev",
        "resources": ["../../base"],
        "images": [{"name": "homebed", "newTag": "dev"}],
        "patches": [
            {
                "target": {"kind": "KafkaNodePool"},
                "patch": yaml.safe_dump(_replace("/spec/replicas", 1)),
            },
            {
                "target": {"kind": "Kafka"},
                "patch": yaml.safe_dump(
                    [
                        {
                            "op": "replace",
                            "path": "/spec/kafka/config",
                            "value": {
                                "auto.create.topics.enable": False,
                                "offsets.topic.replication.factor": 1,
                                "transaction.state.log.replication.factor": 1,
                                "transaction.state.log.min.isr": 1,
                                "default.replication.factor": 1,
                                "min.insync.replicas": 1,
                            },
                        }
                    ]
                ),
            },
            {
                "target": {"kind": "KafkaTopic"},
                "patch": yaml.safe_dump(
                    [
                        *_replace("/spec/replicas", 1),
                        *_replace("/spec/config/min.insync.replicas", 1),
                    ]
                ),
            },
            {
                "target": {"kind": "Cluster"},
                "patch": yaml.safe_dump(_replace("/spec/instances", 1)),
            },
            {
                "target": {"kind": "HorizontalPodAutoscaler"},
                "patch": yaml.safe_dump(_replace("/spec/minReplicas", 1)),
            },
            {
                "target": {"kind": "Deployment"},
                "patch": yaml.safe_dump(_replace("/spec/replicas", 1)),
            },
        ],
    }


def prod_overlay() -> Manifest:
    """The base as it is (3 brokers, 3 PostgreSQL instances, two replicas at least), in its
    namespace, at a pinned image."""
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": "homebed",
        "resources": ["../../base"],
        "images": [{"name": "homebed", "newTag": "0.1.0"}],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write deploy/k8s/base and overlays")
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    args = parser.parse_args(argv)
    files = render()
    if args.check:
        stale = [
            p
            for p, text in files.items()
            if not (HERE / p).exists() or (HERE / p).read_text() != text
        ]
        written = {str(p.relative_to(HERE)) for p in HERE.glob("*/**/*.yaml") if p.parent != HERE}
        extra = sorted(written - set(files))
        if stale or extra:
            print(
                f"stale {stale}, unknown {extra}: run python deploy/k8s/generate.py",
                file=sys.stderr,
            )
            return 1
        return 0
    for path, text in files.items():
        (HERE / path).parent.mkdir(parents=True, exist_ok=True)
        (HERE / path).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
