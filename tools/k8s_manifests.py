"""Tandem's Kubernetes base (deploy/k8s/base), generated from the code it deploys.

What a service reads and writes comes from its own event catalogue (the one its AsyncAPI
document shows), partitions from `libs/contracts`, alert rules from `deploy/prometheus/rules`,
ports and variable names from each service's settings class. So a KafkaUser's ACLs, a
KafkaTopic's partitions or a ConfigMap key cannot drift from the code: `python
tools/k8s_manifests.py` rewrites the base, `--check` fails when the committed files are stale
(the tests run it). The overlays (dev, production) are written by hand.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tandem_contracts.topics import HR_EMPLOYEES, TOPICS, all_topic_specs, dead_letter_topic
from tandem_servicekit.asyncapi import EventCatalogue
from tandem_servicekit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "deploy" / "k8s" / "base"
RULES = ROOT / "deploy" / "prometheus" / "rules"

IMAGE = "ghcr.io/tandem-platform/tandem"
VERSION = "0.1.0"
UID = 10001
KAFKA_CLUSTER = "tandem-kafka"
KAFKA_TLS_PORT = 9093
KAFKA_BOOTSTRAP = f"{KAFKA_CLUSTER}-kafka-bootstrap:{KAFKA_TLS_PORT}"
KAFKA_CA_SECRET = f"{KAFKA_CLUSTER}-cluster-ca-cert"
MONGODB = "tandem-mongodb"
MONGODB_PORT = 27017
MONGODB_SERVICE_ACCOUNT = "mongodb-database"
"""The operator runs the replica set's pods under this name; it must exist in the namespace."""
NODE_LOCAL_DNS = "169.254.20.10/32"
GRACEFUL_TIMEOUT_S = 20
PRE_STOP_S = 5
PART_OF = {"app.kubernetes.io/part-of": "tandem"}
SECRETS = "/var/run/secrets/tandem"
NUMBA_CACHE = "/var/cache/tandem/numba"
OIDC_CONFIG = "tandem-oidc"
HR_PUBLISHER = "tandem-hr-publisher"
INGRESS_NAMESPACE = "ingress-nginx"
MONITORING_NAMESPACE = "monitoring"
TOPIC_REPLICAS = 3
TOPIC_MIN_ISR = 2


@dataclass(frozen=True)
class Service:
    name: str
    settings_class: type[ServiceSettings]
    catalogue: EventCatalogue
    memory_limit: str
    cpu_limit: str
    consumer_groups: tuple[str, ...]
    """The group ids its subscribers join (from the runtime, not from this file)."""
    matching: bool = False

    @property
    def app(self) -> str:
        return f"tandem-{self.name}"

    @property
    def prefix(self) -> str:
        return str(self.settings_class.model_config.get("env_prefix", ""))

    @property
    def port(self) -> int:
        return self.settings_class.default_http_port

    @property
    def labels(self) -> dict[str, str]:
        return {"app.kubernetes.io/name": self.app, **PART_OF}


def services() -> list[Service]:
    """The four services, each with the catalogue its own `build_app` registers."""
    found = []
    limits = {"pairing": ("2Gi", "2"), "metrics": ("1Gi", "1")}
    for name in ("pairing", "scheduling", "feedback", "metrics"):
        module = importlib.import_module(f"tandem_{name}.settings")
        settings_class = getattr(module, f"{name.capitalize()}Settings")
        bootstrap = importlib.import_module(f"tandem_{name}.bootstrap")
        app = bootstrap.build_app(settings_class(auth={"mode": "disabled"}))
        memory, cpu = limits.get(name, ("512Mi", "1"))
        runtime = app.state.runtime
        groups = tuple(runtime.group_of(t) for t in sorted(runtime.catalogue.consumed))
        found.append(
            Service(name, settings_class, runtime.catalogue, memory, cpu, groups, name == "pairing")
        )
    return found


def meta(name: str, labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "labels": labels or dict(PART_OF), **extra}


# --- Kafka (Strimzi) -------------------------------------------------------------------------


def kafka_cluster() -> list[dict[str, Any]]:
    """KRaft: one node pool with both roles; SCRAM over TLS for clients, simple authorization."""
    pool = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaNodePool",
        "metadata": meta("dual-role", {"strimzi.io/cluster": KAFKA_CLUSTER, **PART_OF}),
        "spec": {
            "replicas": 3,
            "roles": ["controller", "broker"],
            "storage": {
                "type": "jbod",
                "volumes": [
                    {
                        "id": 0,
                        "type": "persistent-claim",
                        "size": "20Gi",
                        "deleteClaim": False,
                        "kraftMetadata": "shared",
                    }
                ],
            },
            "resources": {
                "requests": {"cpu": "500m", "memory": "2Gi"},
                "limits": {"cpu": "2", "memory": "2Gi"},
            },
        },
    }
    kafka = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "Kafka",
        "metadata": meta(KAFKA_CLUSTER),
        "spec": {
            "kafka": {
                "listeners": [
                    {
                        "name": "tls",
                        "port": KAFKA_TLS_PORT,
                        "type": "internal",
                        "tls": True,
                        "authentication": {"type": "scram-sha-512"},
                        "networkPolicyPeers": [{"podSelector": {"matchLabels": dict(PART_OF)}}],
                    }
                ],
                "authorization": {"type": "simple"},
                "config": {
                    "auto.create.topics.enable": False,
                    "default.replication.factor": TOPIC_REPLICAS,
                    "min.insync.replicas": TOPIC_MIN_ISR,
                    "offsets.topic.replication.factor": TOPIC_REPLICAS,
                    "transaction.state.log.replication.factor": TOPIC_REPLICAS,
                    "transaction.state.log.min.isr": TOPIC_MIN_ISR,
                },
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
    }
    return [pool, kafka]


def kafka_topics() -> list[dict[str, Any]]:
    """One KafkaTopic per contract topic and per dead-letter twin, partitions from contracts."""
    return [
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaTopic",
            "metadata": meta(
                spec.name.replace(".", "-"),
                {"strimzi.io/cluster": KAFKA_CLUSTER, **PART_OF},
            ),
            "spec": {
                "topicName": spec.name,
                "partitions": spec.partitions,
                "replicas": TOPIC_REPLICAS,
                "config": {"min.insync.replicas": TOPIC_MIN_ISR},
            },
        }
        for spec in all_topic_specs()
    ]


def acls(service: Service) -> list[dict[str, Any]]:
    """Read what it consumes, write what it publishes and its dead letters, its own groups."""
    consumed = sorted(service.catalogue.consumed)
    written = sorted(set(service.catalogue.published) | {dead_letter_topic(t) for t in consumed})
    rules: list[dict[str, Any]] = [
        {
            "resource": {"type": "topic", "name": t, "patternType": "literal"},
            "operations": ["Describe", "Read"],
        }
        for t in consumed
    ]
    rules += [
        {
            "resource": {"type": "topic", "name": t, "patternType": "literal"},
            "operations": ["Describe", "Write"],
        }
        for t in written
    ]
    rules.append(
        {
            "resource": {"type": "group", "name": f"{service.app}.", "patternType": "prefix"},
            "operations": ["Read"],
        }
    )
    return rules


def kafka_user(name: str, labels: dict[str, str], rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaUser",
        "metadata": meta(name, {"strimzi.io/cluster": KAFKA_CLUSTER, **labels}),
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": rules},
        },
    }


def kafka_users(all_services: list[Service]) -> list[dict[str, Any]]:
    """One user per service, and one for the HR system, which may only publish the HR feed."""
    hr_feed = {
        "resource": {"type": "topic", "name": HR_EMPLOYEES, "patternType": "literal"},
        "operations": ["Describe", "Write"],
    }
    return [kafka_user(s.app, s.labels, acls(s)) for s in all_services] + [
        kafka_user(HR_PUBLISHER, {"app.kubernetes.io/name": HR_PUBLISHER, **PART_OF}, [hr_feed])
    ]


# --- MongoDB (Community operator) ------------------------------------------------------------


def mongodb(all_services: list[Service]) -> list[dict[str, Any]]:
    """A replica set; one user per service, with rights on its own database only.

    readWrite covers documents, collections, indexes and change streams; dbAdmin (on the same
    database) adds collMod, which a service runs when an operator changes a TTL retention.
    """
    users = [
        {
            "name": s.app,
            "db": "admin",
            "passwordSecretRef": {"name": f"{s.app}-mongo-password"},
            "roles": [
                {"name": "readWrite", "db": f"tandem_{s.name}"},
                {"name": "dbAdmin", "db": f"tandem_{s.name}"},
            ],
            "scramCredentialsSecretName": f"{s.app}-mongo-scram",
            "connectionStringSecretName": f"{s.app}-mongo",
        }
        for s in all_services
    ]
    containers = [
        {
            "name": "mongod",
            "resources": {
                "requests": {"cpu": "500m", "memory": "2Gi"},
                "limits": {"cpu": "2", "memory": "2Gi"},
            },
        },
        {
            "name": "mongodb-agent",
            "resources": {
                "requests": {"cpu": "100m", "memory": "200Mi"},
                "limits": {"cpu": "500m", "memory": "500Mi"},
            },
        },
    ]
    data_volume = {
        "metadata": {"name": "data-volume"},
        "spec": {"resources": {"requests": {"storage": "20Gi"}}},
    }
    replica_set = {
        "apiVersion": "mongodbcommunity.mongodb.com/v1",
        "kind": "MongoDBCommunity",
        "metadata": meta(MONGODB),
        "spec": {
            "members": 3,
            "type": "ReplicaSet",
            "version": "8.0.12",
            "security": {"authentication": {"modes": ["SCRAM"]}},
            "users": users,
            # Merged into the operator's StatefulSet: its defaults (500 MB) are too small.
            "statefulSet": {
                "spec": {
                    "template": {"spec": {"containers": containers}},
                    "volumeClaimTemplates": [data_volume],
                }
            },
        },
    }
    return [*database_pod_rbac(), replica_set]


def database_pod_rbac() -> list[dict[str, Any]]:
    """What the operator's replica-set pods run as (its Helm chart creates this only in the
    operator's own namespace): the agent reads its secrets and labels its own pod."""
    rbac = "rbac.authorization.k8s.io/v1"
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta(MONGODB_SERVICE_ACCOUNT),
        },
        {
            "apiVersion": rbac,
            "kind": "Role",
            "metadata": meta(MONGODB_SERVICE_ACCOUNT),
            "rules": [
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "patch", "delete"]},
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": meta(MONGODB_SERVICE_ACCOUNT),
            "subjects": [{"kind": "ServiceAccount", "name": MONGODB_SERVICE_ACCOUNT}],
            "roleRef": {"apiGroup": rbac, "kind": "Role", "name": MONGODB_SERVICE_ACCOUNT},
        },
    ]


# --- one service -----------------------------------------------------------------------------


def config_map(s: Service) -> dict[str, Any]:
    p = s.prefix
    data = {
        f"{p}KAFKA__BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP,
        f"{p}KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        f"{p}KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        f"{p}KAFKA__SASL_USERNAME": s.app,
        f"{p}KAFKA__SASL_PASSWORD_FILE": f"{SECRETS}/kafka-user/password",
        f"{p}KAFKA__SSL_CAFILE": f"{SECRETS}/kafka-ca/ca.crt",
        f"{p}KAFKA__CREATE_TOPICS": "false",
        f"{p}MONGO__URI_FILE": f"{SECRETS}/mongo/connectionString.standard",
        f"{p}HTTP__HOST": "0.0.0.0",
        f"{p}LOG_FORMAT": "json",
        f"{p}GRACEFUL_TIMEOUT_S": str(GRACEFUL_TIMEOUT_S),
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(s.app, s.labels),
        "data": data,
    }


def container_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def secret_volume(name: str, secret: str, key: str) -> dict[str, Any]:
    return {
        "name": name,
        "secret": {"secretName": secret, "items": [{"key": key, "path": key}]},
    }


def deployment(s: Service) -> dict[str, Any]:
    image = f"{IMAGE}:{VERSION}"
    env: list[dict[str, Any]] = [
        {
            "name": f"{s.prefix}AUTH__{key.upper()}",
            "valueFrom": {"configMapKeyRef": {"name": OIDC_CONFIG, "key": key}},
        }
        for key in ("issuer", "audience", "jwks_url")
    ]
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "kafka-user", "mountPath": f"{SECRETS}/kafka-user", "readOnly": True},
        {"name": "kafka-ca", "mountPath": f"{SECRETS}/kafka-ca", "readOnly": True},
        {"name": "mongo", "mountPath": f"{SECRETS}/mongo", "readOnly": True},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        secret_volume("kafka-user", s.app, "password"),
        secret_volume("kafka-ca", KAFKA_CA_SECRET, "ca.crt"),
        secret_volume("mongo", f"{s.app}-mongo", "connectionString.standard"),
    ]
    resources = {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": s.cpu_limit, "memory": s.memory_limit},
    }
    init: list[dict[str, Any]] = []
    if s.matching:
        # numba writes next to its cache, and the root file system is read-only: the image's
        # warm cache is copied into a writable volume before the service starts.
        env.append({"name": "NUMBA_CACHE_DIR", "value": NUMBA_CACHE})
        # numba sizes its pool to the node's cores otherwise, and the CPU limit throttles it.
        env.append(
            {
                "name": "NUMBA_NUM_THREADS",
                "valueFrom": {
                    "resourceFieldRef": {
                        "containerName": s.name,
                        "resource": "limits.cpu",
                        "divisor": "1",
                    }
                },
            }
        )
        mounts.append({"name": "numba-cache", "mountPath": NUMBA_CACHE})
        volumes.append({"name": "numba-cache", "emptyDir": {"sizeLimit": "64Mi"}})
        init.append(
            {
                "name": "numba-cache",
                "image": image,
                "imagePullPolicy": "Always",
                "command": ["cp", "-a", "/app/numba-cache/.", NUMBA_CACHE],
                "securityContext": container_security(),
                "resources": {
                    "requests": {"cpu": "50m", "memory": "32Mi"},
                    "limits": {"cpu": "200m", "memory": "64Mi"},
                },
                "volumeMounts": [{"name": "numba-cache", "mountPath": NUMBA_CACHE}],
            }
        )
    probe = {"port": "http", "scheme": "HTTP"}
    container = {
        "name": s.name,
        "image": image,
        "imagePullPolicy": "Always",
        "args": [f"tandem_{s.name}"],
        "ports": [{"name": "http", "containerPort": s.port, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": s.app}}],
        "env": env,
        # Start-up retries an unreachable broker or database for minutes before giving up.
        "startupProbe": {
            "httpGet": {"path": "/healthz", **probe},
            "periodSeconds": 5,
            "failureThreshold": 60,
        },
        "livenessProbe": {
            "httpGet": {"path": "/healthz", **probe},
            "periodSeconds": 10,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", **probe},
            "periodSeconds": 5,
            "timeoutSeconds": 3,
            "failureThreshold": 2,
        },
        # Endpoints are removed asynchronously: keep serving a moment before draining.
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRE_STOP_S)]}}},
        "resources": resources,
        "securityContext": container_security(),
        "volumeMounts": mounts,
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": s.app,
        "automountServiceAccountToken": False,
        # The pre-stop pause, then HTTP drains (up to the graceful timeout), then the runtime's
        # six shutdown steps (background tasks, consumers, relay, outbox flush, producer,
        # database client: a quarter of the graceful timeout each, bounded even if a step
        # ignores cancellation): at most 5 + 20 + 30 = 55 s of the 60.
        "terminationGracePeriodSeconds": PRE_STOP_S + 2 * GRACEFUL_TIMEOUT_S + 15,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # Replicas on different nodes where the cluster can, never blocking a rollout.
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": s.app}},
            }
        ],
        **({"initContainers": init} if init else {}),
        "containers": [container],
        "volumes": volumes,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(s.app, s.labels),
        # No `replicas`: the HorizontalPodAutoscaler owns the count, and an apply must not
        # reset it.
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": s.app}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {"metadata": {"labels": s.labels}, "spec": pod_spec},
        },
    }


def service(s: Service) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(s.app, s.labels),
        "spec": {
            "selector": {"app.kubernetes.io/name": s.app},
            "ports": [{"name": "http", "port": s.port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def service_account(s: Service) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(s.app, s.labels),
        "automountServiceAccountToken": False,
    }


def autoscaler(s: Service) -> dict[str, Any]:
    """Consumers of a topic cannot outnumber its partitions (6), so neither can replicas."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(s.app, s.labels),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": s.app},
            "minReplicas": 2,
            "maxReplicas": min(t.partitions for t in TOPICS if t.name in s.catalogue.consumed),
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


def disruption_budget(s: Service) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(s.app, s.labels),
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": s.app}},
        },
    }


def network_policy(s: Service) -> dict[str, Any]:
    """In: its HTTP port from the ingress controller and Prometheus. Out: DNS, Kafka's TLS
    listener, MongoDB, and HTTPS for the identity provider's keys. Nothing else."""
    namespace = "kubernetes.io/metadata.name"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(s.app, s.labels),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": s.app}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {namespace: INGRESS_NAMESPACE}}},
                        {"namespaceSelector": {"matchLabels": {namespace: MONITORING_NAMESPACE}}},
                    ],
                    "ports": [{"protocol": "TCP", "port": s.port}],
                }
            ],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {namespace: "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        },
                        {"ipBlock": {"cidr": NODE_LOCAL_DNS}},  # NodeLocal DNSCache
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {
                    "to": [
                        {
                            "podSelector": {
                                "matchLabels": {
                                    "strimzi.io/cluster": KAFKA_CLUSTER,
                                    "strimzi.io/kind": "Kafka",
                                }
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": KAFKA_TLS_PORT}],
                },
                {
                    "to": [{"podSelector": {"matchLabels": {"app": f"{MONGODB}-svc"}}}],
                    "ports": [{"protocol": "TCP", "port": MONGODB_PORT}],
                },
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                    "ports": [{"protocol": "TCP", "port": 443}],
                },
            ],
        },
    }


def service_monitor(s: Service) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta(s.app, s.labels),
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": s.app}},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": "15s"}],
        },
    }


def service_documents(s: Service) -> list[dict[str, Any]]:
    return [
        service_account(s),
        config_map(s),
        deployment(s),
        service(s),
        autoscaler(s),
        disruption_budget(s),
        network_policy(s),
        service_monitor(s),
    ]


# --- monitoring and wiring -------------------------------------------------------------------


def prometheus_rule() -> dict[str, Any]:
    """The same groups as deploy/prometheus/rules, for the prometheus-operator."""
    groups: list[Any] = []
    for path in sorted(RULES.glob("*.yml")):
        groups.extend(yaml.safe_load(path.read_text())["groups"])
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": meta("tandem"),
        "spec": {"groups": groups},
    }


def oidc_config() -> dict[str, Any]:
    """Placeholders: each overlay replaces them with its identity provider."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(OIDC_CONFIG),
        "data": {
            "issuer": "https://idp.example.com/realms/tandem",
            "audience": "tandem",
            "jwks_url": "https://idp.example.com/realms/tandem/protocol/openid-connect/certs",
        },
    }


def files() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    all_services = services()
    for s in all_services:
        yield f"{s.name}.yaml", service_documents(s)
    yield "oidc.yaml", [oidc_config()]
    yield "kafka-cluster.yaml", kafka_cluster()
    yield "kafka-topics.yaml", kafka_topics()
    yield "kafka-users.yaml", kafka_users(all_services)
    yield "mongodb.yaml", mongodb(all_services)
    yield "prometheus-rule.yaml", [prometheus_rule()]


HEADER = "# Generated by tools/k8s_manifests.py from the code it deploys: do not edit by hand.\n"


def render() -> dict[str, str]:
    out: dict[str, str] = {}
    names = []
    for name, documents in files():
        names.append(name)
        out[name] = HEADER + yaml.safe_dump_all(documents, sort_keys=False, width=100)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "labels": [{"pairs": {"app.kubernetes.io/version": VERSION}}],
        "resources": names,
    }
    out["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return out


def main(args: list[str]) -> int:
    rendered = render()
    if args == ["--check"]:
        stale = [
            name
            for name, text in rendered.items()
            if not (BASE / name).is_file() or (BASE / name).read_text() != text
        ]
        extra = sorted(p.name for p in BASE.glob("*.yaml") if p.name not in rendered)
        if stale or extra:
            print(f"deploy/k8s/base is stale: {stale + extra}; run python tools/k8s_manifests.py")
            return 1
        return 0
    if args:
        print("usage: python tools/k8s_manifests.py [--check]", file=sys.stderr)
        return 2
    BASE.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (BASE / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
