"""What Tandem deploys agrees with the code it deploys, and the offline validators catch mistakes.

The full validation of the overlays runs in `make deploy-check` (tools/deploy_check.py, also in
`.ci/run`); here: the consistency between libs/contracts, the services' settings and event
catalogues, docker-compose.yml and the rendered Kubernetes overlays, and one seeded mistake per
validator, so that none of them can pass by not looking.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from tandem_contracts.topics import HR_EMPLOYEES, all_topic_specs, dead_letter_topic
from tandem_feedback.settings import FeedbackSettings
from tandem_metrics.settings import MetricsSettings
from tandem_pairing.settings import PairingSettings
from tandem_scheduling.settings import SchedulingSettings
from tandem_servicekit.settings import ServiceSettings, unknown_variables
from tandem_servicekit.topics_admin import TopicInitSettings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS: dict[str, type[ServiceSettings]] = {
    "pairing": PairingSettings,
    "scheduling": SchedulingSettings,
    "feedback": FeedbackSettings,
    "metrics": MetricsSettings,
}
OIDC = {
    "TANDEM_OIDC_ISSUER": "https://idp.example.com/realms/tandem",
    "TANDEM_OIDC_AUDIENCE": "tandem",
    "TANDEM_OIDC_JWKS_URL": "https://idp.example.com/realms/tandem/protocol/openid-connect/certs",
}


@cache
def load_tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


check = load_tool("deploy_check")


def required(step: Any, *args: Any) -> tuple[bool, str]:
    """Run a validator; without its tool the test skips, except in CI where it fails."""
    try:
        result: tuple[bool, str] = step(*args)
    except check.MissingTool as exc:
        if os.environ.get("CI"):
            pytest.fail(f"required in CI: {exc}")
        pytest.skip(str(exc))
    return result


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    try:
        return tuple(check.render(overlay))
    except check.MissingTool as exc:
        if os.environ.get("CI"):
            pytest.fail(f"required in CI: {exc}")
        pytest.skip(str(exc))


def of_kind(documents: tuple[dict[str, Any], ...], kind: str) -> Iterator[dict[str, Any]]:
    return (d for d in documents if d["kind"] == kind)


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def interpolate(value: object, environ: dict[str, str]) -> str:
    """Compose's `${NAME}` / `${NAME:-default}` substitution, as `docker compose` does it."""

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(3) or ""
        return environ.get(name) or default

    return re.sub(r"\$\{(\w+)(:-([^}]*))?\}", substitute, str(value))


# --- the base is generated -------------------------------------------------------------------


def test_the_kubernetes_base_is_generated_from_the_current_code() -> None:
    assert load_tool("k8s_manifests").main(["--check"]) == 0, "run python tools/k8s_manifests.py"


# --- topics and users ------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_every_contract_topic_and_its_dead_letter_twin_has_a_kafka_topic(overlay: str) -> None:
    topics = {d["spec"]["topicName"]: d["spec"] for d in of_kind(rendered(overlay), "KafkaTopic")}
    expected = {spec.name: spec.partitions for spec in all_topic_specs()}
    assert {name: spec["partitions"] for name, spec in topics.items()} == expected
    for spec in all_topic_specs():
        if not spec.name.endswith(".dlq"):
            twin = topics[dead_letter_topic(spec.name)]
            assert twin["partitions"] == topics[spec.name]["partitions"]
    replicas = {spec["replicas"] for spec in topics.values()}
    min_isr = {spec["config"]["min.insync.replicas"] for spec in topics.values()}
    pools = list(of_kind(rendered(overlay), "KafkaNodePool"))
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    assert replicas == {min(3, brokers)}, "every topic replicated as widely as the cluster allows"
    assert min_isr == {min(2, brokers)}


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_each_kafka_user_may_use_only_its_own_topics_and_groups(overlay: str) -> None:
    manifests = load_tool("k8s_manifests")
    users = {d["metadata"]["name"]: d for d in of_kind(rendered(overlay), "KafkaUser")}
    assert set(users) == {f"tandem-{name}" for name in SETTINGS} | {"tandem-hr-publisher"}
    hr_acls = users["tandem-hr-publisher"]["spec"]["authorization"]["acls"]
    assert [(a["resource"]["name"], a["operations"]) for a in hr_acls] == [
        (HR_EMPLOYEES, ["Describe", "Write"])
    ]
    for service in manifests.services():
        settings = service.settings_class(auth={"mode": "disabled"})
        acls = users[service.app]["spec"]["authorization"]["acls"]
        read = {a["resource"]["name"] for a in acls if "Read" in a["operations"]}
        written = {a["resource"]["name"] for a in acls if "Write" in a["operations"]}
        consumed = set(service.catalogue.consumed)
        groups = {a["resource"]["name"] for a in acls if a["resource"]["type"] == "group"}
        assert read - groups == consumed
        assert written == set(service.catalogue.published) | {
            dead_letter_topic(t) for t in consumed
        }
        assert groups == {f"{settings.consumer_group}."}
        (group_rule,) = (a for a in acls if a["resource"]["type"] == "group")
        assert group_rule["resource"]["patternType"] == "prefix"
        assert "Read" in group_rule["operations"], "joining and committing need Read"
        assert service.consumer_groups, "every service consumes something"
        for group in service.consumer_groups:  # what the subscribers really join
            assert group.startswith(group_rule["resource"]["name"]), group
        assert all(
            a["resource"]["patternType"] == "literal"
            for a in acls
            if a["resource"]["type"] == "topic"
        ), "no wildcard or prefix topic rights"
        assert all("All" not in a["operations"] and "Alter" not in a["operations"] for a in acls)


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_each_database_user_has_rights_on_its_own_database_only(overlay: str) -> None:
    (mongodb,) = of_kind(rendered(overlay), "MongoDBCommunity")
    users = {u["name"]: u for u in mongodb["spec"]["users"]}
    assert set(users) == {f"tandem-{name}" for name in SETTINGS}
    for name, settings_class in SETTINGS.items():
        database = settings_class(auth={"mode": "disabled"}).mongo.database
        assert {r["db"] for r in users[f"tandem-{name}"]["roles"]} == {database}
        assert {r["name"] for r in users[f"tandem-{name}"]["roles"]} <= {"readWrite", "dbAdmin"}


# --- environments parse with the services' own settings --------------------------------------


def deployment_environment(
    documents: tuple[dict[str, Any], ...], deployment: dict[str, Any], secrets: Path
) -> dict[str, str]:
    """A container's environment as the kubelet builds it, mounted secret files faked."""
    config_maps = {
        d["metadata"]["name"]: d.get("data", {}) for d in of_kind(documents, "ConfigMap")
    }
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    environ: dict[str, str] = {}
    for source in container.get("envFrom", []):
        environ.update(config_maps[source["configMapRef"]["name"]])
    for variable in container.get("env", []):
        source = variable.get("valueFrom", {})
        if "value" in variable:
            environ[variable["name"]] = variable["value"]
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            environ[variable["name"]] = config_maps[ref["name"]][ref["key"]]
        else:  # a resource field, such as the CPU limit: resolved by the kubelet
            assert source["resourceFieldRef"]["containerName"] == container["name"]
            environ[variable["name"]] = "2"
    mounted = {m["mountPath"] for m in container.get("volumeMounts", [])}
    for name, value in list(environ.items()):
        if value.startswith("/var/run/secrets/"):
            assert str(Path(value).parent) in mounted, f"{name}: {value} is not mounted"
            fake = secrets / value.lstrip("/")
            fake.parent.mkdir(parents=True, exist_ok=True)
            content = "mongodb://u:p@tandem-mongodb-svc:27017/admin?replicaSet=tandem-mongodb"
            fake.write_text(content if "connectionString" in value else "secret\n")
            environ[name] = str(fake)
    return environ


def parse(settings_class: type[BaseSettings], environ: dict[str, str]) -> BaseSettings:
    """The settings as the service would build them from exactly this environment."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    try:
        return settings_class()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_every_kubernetes_variable_is_a_setting_and_the_settings_parse(
    overlay: str, tmp_path: Path
) -> None:
    documents = rendered(overlay)
    deployments = {d["metadata"]["name"]: d for d in of_kind(documents, "Deployment")}
    assert set(deployments) == {f"tandem-{name}" for name in SETTINGS}
    for name, settings_class in SETTINGS.items():
        environ = deployment_environment(documents, deployments[f"tandem-{name}"], tmp_path)
        assert unknown_variables(settings_class, environ) == []
        settings = parse(settings_class, environ)
        assert isinstance(settings, ServiceSettings)
        assert settings.http.host == "0.0.0.0"
        assert settings.kafka.create_topics is False, "topics come from KafkaTopic resources"
        assert settings.kafka.security_protocol == "SASL_SSL"
        assert settings.kafka.sasl_password.get_secret_value() == "secret"
        assert settings.mongo.uri.get_secret_value().startswith("mongodb://u:p@")
        assert settings.auth.mode.value == "oidc"


@pytest.mark.parametrize("auth", [OIDC, {"TANDEM_AUTH_MODE": "disabled"}])
def test_every_compose_variable_is_a_setting_and_the_settings_parse(auth: dict[str, str]) -> None:
    services = compose()["services"]
    classes: dict[str, type[BaseSettings]] = {**SETTINGS, "topics": TopicInitSettings}
    for name, settings_class in classes.items():
        environ = {
            key: interpolate(value, auth) for key, value in services[name]["environment"].items()
        }
        assert unknown_variables(settings_class, environ) == [], name
        parse(settings_class, environ)


def test_compose_keeps_kafka_and_mongodb_data_in_their_volumes() -> None:
    services = compose()["services"]
    kafka = services["kafka"]
    assert f"kafka-data:{kafka['environment']['KAFKA_LOG_DIRS']}" in kafka["volumes"]
    assert kafka["environment"]["CLUSTER_ID"]
    assert "mongo-data:/data/db" in services["mongo"]["volumes"]
    assert "isWritablePrimary" in " ".join(services["mongo"]["healthcheck"]["test"])


def test_a_misspelt_variable_is_caught() -> None:
    environ = {"TANDEM_PAIRING_KAFKA__BOOTSTRAP_SERVER": "kafka:9092"}
    assert unknown_variables(PairingSettings, environ) == list(environ)


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_mounted_secrets_are_the_ones_the_operators_write(overlay: str) -> None:
    """Strimzi's User Operator writes a KafkaUser's password into a secret of the user's name
    (key `password`), its Cluster Operator the CA into `<cluster>-cluster-ca-cert` (`ca.crt`);
    the MongoDB operator writes each user's `connectionStringSecretName` with
    `connectionString.standard` and reads its password from `passwordSecretRef` (`password`)."""
    documents = rendered(overlay)
    (kafka,) = of_kind(documents, "Kafka")
    (mongodb,) = of_kind(documents, "MongoDBCommunity")
    kafka_users = {d["metadata"]["name"] for d in of_kind(documents, "KafkaUser")}
    mongo_users = {u["name"]: u for u in mongodb["spec"]["users"]}
    for deployment in of_kind(documents, "Deployment"):
        app = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        secrets = {
            v["name"]: (v["secret"]["secretName"], [i["key"] for i in v["secret"]["items"]])
            for v in pod["volumes"]
            if "secret" in v
        }
        assert app in kafka_users
        assert secrets["kafka-user"] == (app, ["password"])
        assert secrets["kafka-ca"] == (f"{kafka['metadata']['name']}-cluster-ca-cert", ["ca.crt"])
        connection = mongo_users[app]["connectionStringSecretName"]
        assert secrets["mongo"] == (connection, ["connectionString.standard"])
    if overlay == "dev":  # production's are created by hand (README, Deploying)
        generated = {d["metadata"]["name"]: d for d in of_kind(documents, "Secret")}
        for user in mongo_users.values():
            assert "password" in generated[user["passwordSecretRef"]["name"]]["data"]


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_network_policies_admit_the_operators_pods_and_ports(overlay: str) -> None:
    """Strimzi labels broker pods `strimzi.io/cluster=<cluster>`, `strimzi.io/kind=Kafka`; the
    MongoDB operator labels replica-set pods `app=<name>-svc`; both run as the service account
    the operator expects."""
    documents = rendered(overlay)
    (kafka,) = of_kind(documents, "Kafka")
    (mongodb,) = of_kind(documents, "MongoDBCommunity")
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    broker = {"strimzi.io/cluster": kafka["metadata"]["name"], "strimzi.io/kind": "Kafka"}
    mongo = {"app": f"{mongodb['metadata']['name']}-svc"}
    for policy in of_kind(documents, "NetworkPolicy"):
        dns, to_kafka, to_mongo, https = policy["spec"]["egress"]
        assert {p["port"] for p in dns["ports"]} == {53}
        assert to_kafka["to"] == [{"podSelector": {"matchLabels": broker}}]
        assert to_kafka["ports"] == [{"protocol": "TCP", "port": listener["port"]}]
        assert to_mongo["to"] == [{"podSelector": {"matchLabels": mongo}}]
        assert to_mongo["ports"] == [{"protocol": "TCP", "port": 27017}]
        assert https["ports"] == [{"protocol": "TCP", "port": 443}]
    peers = listener["networkPolicyPeers"][0]["podSelector"]["matchLabels"]
    for deployment in of_kind(documents, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert peers.items() <= labels.items(), "the Kafka listener admits the services"
    accounts = {d["metadata"]["name"] for d in of_kind(documents, "ServiceAccount")}
    (binding,) = (
        d for d in of_kind(documents, "RoleBinding") if d["metadata"]["name"] == "mongodb-database"
    )
    assert "mongodb-database" in accounts
    assert binding["subjects"][0]["name"] == "mongodb-database"


def test_the_external_mongodb_overlay_drops_the_operator_and_opens_only_mongodb() -> None:
    documents = rendered("production-external-mongodb")
    assert not list(of_kind(documents, "MongoDBCommunity"))
    assert "mongodb-database" not in {d["metadata"]["name"] for d in documents}
    for policy in of_kind(documents, "NetworkPolicy"):
        rules = {r["ports"][0]["port"]: r["to"] for r in policy["spec"]["egress"]}
        assert rules[27017] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
        assert rules[9093][0]["podSelector"]["matchLabels"]["strimzi.io/kind"] == "Kafka"


# --- compose and Kubernetes agree ------------------------------------------------------------


def test_images_ports_and_scrape_jobs_agree_between_compose_and_kubernetes() -> None:
    documents = rendered("production")
    services = compose()["services"]
    deployments = {d["metadata"]["name"]: d for d in of_kind(documents, "Deployment")}
    k8s_services = {d["metadata"]["name"]: d for d in of_kind(documents, "Service")}
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in prometheus["scrape_configs"]
    }
    for name, settings_class in SETTINGS.items():
        port = settings_class.default_http_port
        app = f"tandem-{name}"
        composed = services[name]
        compose_image = interpolate(composed["image"], {})
        (container,) = deployments[app]["spec"]["template"]["spec"]["containers"]
        assert container["image"] == compose_image
        assert container["args"] == composed["command"] == [f"tandem_{name}"]
        assert container["ports"][0]["containerPort"] == port
        assert composed["ports"] == [f"{port}:{port}"]
        assert f"127.0.0.1:{port}/readyz" in " ".join(composed["healthcheck"]["test"])
        assert k8s_services[app]["spec"]["ports"][0]["port"] == port
        # The prometheus-operator names a ServiceMonitor's job after the Service: the alert
        # rules select the same `job` on both paths.
        assert jobs[app] == [f"{name}:{port}"]
    for init in ("topics",):
        assert interpolate(services[init]["image"], {}) == compose_image


# --- each validator rejects a seeded mistake -------------------------------------------------


def first(documents: tuple[dict[str, Any], ...], kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(of_kind(documents, kind)))


def test_check_jsonschema_rejects_a_misspelt_field_in_a_kafka_topic() -> None:
    topic = first(rendered("dev"), "KafkaTopic")
    assert required(check.validate_custom, [topic])[0]
    topic["spec"]["partitons"] = topic["spec"].pop("partitions")
    passed, output = required(check.validate_custom, [topic])
    assert not passed
    assert "partitons" in output


def test_check_jsonschema_rejects_a_wrong_type_in_a_mongodb_user() -> None:
    mongodb = first(rendered("dev"), "MongoDBCommunity")
    assert required(check.validate_custom, [mongodb])[0]
    mongodb["spec"]["users"][0]["roles"] = "readWrite"
    passed, output = required(check.validate_custom, [mongodb])
    assert not passed
    assert "roles" in output


def test_an_unknown_custom_resource_kind_is_rejected() -> None:
    topic = first(rendered("dev"), "KafkaTopic")
    topic["kind"] = "KafkaTopics"
    passed, output = required(check.validate_custom, [topic])
    assert not passed
    assert "KafkaTopics" in output


def test_kubernetes_validate_rejects_a_misspelt_field_in_a_deployment() -> None:
    deployment = first(rendered("dev"), "Deployment")
    assert required(check.validate_builtin, [deployment])[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    passed, output = required(check.validate_builtin, [deployment])
    assert not passed
    assert "readinesProbe" in output


def test_checkov_rejects_a_container_that_may_run_as_root() -> None:
    deployment = first(rendered("dev"), "Deployment")
    name = deployment["metadata"]["name"]
    policy = next(
        d for d in of_kind(rendered("dev"), "NetworkPolicy") if d["metadata"]["name"] == name
    )
    passed, output = required(check.run_checkov, [deployment, policy])
    assert passed, output
    pod = deployment["spec"]["template"]["spec"]
    del pod["securityContext"]
    del pod["containers"][0]["securityContext"]
    passed, output = required(check.run_checkov, [deployment, policy])
    assert not passed
    assert "CKV_K8S_23" in output, "Minimize the admission of root containers"


def test_promtool_rejects_a_broken_rule_in_the_prometheus_rule() -> None:
    rule = first(rendered("dev"), "PrometheusRule")
    assert required(check.check_prometheus_rules, [rule])[0]
    rule["spec"]["groups"][0]["rules"][0]["expr"] = "sum(rate(tandem_x_total[5m])"
    passed, output = required(check.check_prometheus_rules, [rule])
    assert not passed
    assert "parse error" in output or "unclosed" in output


def test_hadolint_rejects_an_unpinned_apt_install(tmp_path: Path) -> None:
    assert required(check.lint_dockerfile)[0]
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n"
    )
    passed, output = required(check.lint_dockerfile, dockerfile)
    assert not passed
    assert "DL3008" in output


def test_the_compose_schema_rejects_a_misspelt_key(tmp_path: Path) -> None:
    assert required(check.validate_compose)[0]
    broken = compose()
    broken["services"]["pairing"]["depend_on"] = broken["services"]["pairing"].pop("depends_on")
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    passed, output = required(check.validate_compose, path)
    assert not passed
    assert "depend_on" in output
