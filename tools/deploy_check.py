"""Offline validation of everything Tandem deploys, with the tools the ecosystem uses.

No cluster and no Docker engine: the Dockerfile is linted by hadolint, docker-compose.yml is
checked against the compose-spec schema, and each Kubernetes overlay is rendered by `kubectl
kustomize`, then built-in kinds go to `kubernetes-validate --strict`, custom resources to
`check-jsonschema` against the operators' CRD schemas (../shared/k8s-schemas, or
$TANDEM_K8S_SCHEMAS), everything to `checkov` (skips and reasons in deploy/k8s/.checkov.yaml),
and the PrometheusRule's groups to `promtool check rules` and the alert unit tests.

`make deploy-check` runs it; `.ci/run` too, where a missing tool is a failure. Elsewhere a
missing tool skips its check and says so. The tests import the functions below to show that a
seeded mistake fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production", "production-external-mongodb")
PROMETHEUS = ROOT / "deploy" / "prometheus"
CHECKOV_CONFIG = K8S / ".checkov.yaml"
SCHEMA_FILES = {
    ("kafka.strimzi.io/v1", "Kafka"): "kafka_v1.json",
    ("kafka.strimzi.io/v1", "KafkaNodePool"): "kafkanodepool_v1.json",
    ("kafka.strimzi.io/v1", "KafkaTopic"): "kafkatopic_v1.json",
    ("kafka.strimzi.io/v1", "KafkaUser"): "kafkauser_v1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor_v1.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor_v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule_v1.json",
    ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"): "mongodbcommunity_v1.json",
}
"""Every custom resource kind the manifests may use; any other non-core kind is an error."""
TIMEOUT_S = 300


class MissingTool(Exception):
    """A validator is not installed (or the CRD schemas are not where they should be)."""


@dataclass(frozen=True)
class Outcome:
    check: str
    passed: bool
    output: str


def schemas_dir() -> Path:
    return Path(os.environ.get("TANDEM_K8S_SCHEMAS", ROOT.parent / "shared" / "k8s-schemas"))


INSTALL_HINTS = {
    "checkov": "make deploy-tools",
    "promtool": "make prometheus-tools (Debian's prometheus package)",
    "kubectl": "kubectl from your Kubernetes distribution (it carries kustomize)",
}


def tool(name: str) -> str:
    """The executable: on PATH, in the project's .venv, or in .tools (checkov)."""
    for candidate in (
        shutil.which(name),
        shutil.which(name, path=str(Path(sys.executable).parent)),
        shutil.which(name, path=str(ROOT / ".tools" / "bin")),
    ):
        if candidate:
            return candidate
    raise MissingTool(f"{name} is not installed: {INSTALL_HINTS.get(name, 'make sync')}")


def run(args: Sequence[str], cwd: Path = ROOT) -> tuple[bool, str]:
    result = subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip()


# --- rendering -------------------------------------------------------------------------------


def render(overlay: str) -> list[dict[str, Any]]:
    """The overlay as the cluster would receive it."""
    ok, output = run([tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay)])
    if not ok:
        raise ValueError(f"kubectl kustomize {overlay} failed: {output}")
    return [d for d in yaml.safe_load_all(output) if d]


def is_custom(document: dict[str, Any]) -> bool:
    group = str(document.get("apiVersion", "")).rpartition("/")[0]
    return group.endswith((".strimzi.io", ".coreos.com", ".mongodb.com"))


def write_documents(folder: Path, documents: Iterable[dict[str, Any]]) -> list[Path]:
    """One file per document: check-jsonschema validates one document per file."""
    paths = []
    for index, document in enumerate(documents):
        name = f"{index:03d}-{document['kind']}-{document['metadata']['name']}.yaml"
        path = folder / name
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        paths.append(path)
    return paths


# --- validators ------------------------------------------------------------------------------


def validate_builtin(documents: Sequence[dict[str, Any]]) -> tuple[bool, str]:
    """kubernetes-validate --strict: unknown fields and wrong types in built-in kinds fail."""
    builtin = [d for d in documents if not is_custom(d)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "builtin.yaml"
        path.write_text(yaml.safe_dump_all(builtin, sort_keys=False))
        ok, output = run([tool("kubernetes-validate"), "--strict", "--quiet", str(path)])
    return ok, output or f"{len(builtin)} documents valid"


def validate_custom(documents: Sequence[dict[str, Any]]) -> tuple[bool, str]:
    """check-jsonschema against each operator's CRD schema, one invocation per kind."""
    folder_of_schemas = schemas_dir()
    if not folder_of_schemas.is_dir():
        raise MissingTool(f"the CRD schemas are not at {folder_of_schemas} (TANDEM_K8S_SCHEMAS)")
    by_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for document in documents:
        if is_custom(document):
            key = (str(document["apiVersion"]), str(document["kind"]))
            by_kind.setdefault(key, []).append(document)
    unknown = sorted(f"{v} {k}" for v, k in by_kind if (v, k) not in SCHEMA_FILES)
    if unknown:
        return False, f"no schema for custom resources: {unknown}"
    passed, report = True, []
    with tempfile.TemporaryDirectory() as folder:
        for (version, kind), group in sorted(by_kind.items()):
            kind_folder = Path(folder) / kind
            kind_folder.mkdir()
            paths = write_documents(kind_folder, group)
            schema = folder_of_schemas / SCHEMA_FILES[(version, kind)]
            ok, output = run(
                [tool("check-jsonschema"), "--schemafile", str(schema), *map(str, paths)]
            )
            passed = passed and ok
            report.append(f"{kind} ({len(group)}): {output}")
    return passed, "\n".join(report)


def run_checkov(documents: Sequence[dict[str, Any]]) -> tuple[bool, str]:
    """checkov's Kubernetes policies; the skips and their reasons are in .checkov.yaml."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rendered.yaml"
        path.write_text(yaml.safe_dump_all(list(documents), sort_keys=False))
        return run(
            [tool("checkov"), "--config-file", str(CHECKOV_CONFIG), "-f", str(path)],
            cwd=Path(folder),
        )


def check_prometheus_rules(documents: Sequence[dict[str, Any]]) -> tuple[bool, str]:
    """The PrometheusRule's groups are valid rules and pass deploy/prometheus's unit tests."""
    rules = [d for d in documents if d.get("kind") == "PrometheusRule"]
    if len(rules) != 1:
        return False, f"expected one PrometheusRule, found {len(rules)}"
    promtool = tool("promtool")
    with tempfile.TemporaryDirectory() as folder:
        rules_file = Path(folder) / "prometheus-rule.yml"
        rules_file.write_text(yaml.safe_dump({"groups": rules[0]["spec"]["groups"]}))
        ok, output = run([promtool, "check", "rules", str(rules_file)])
        if not ok:
            return False, output
        tests = []
        for source in sorted((PROMETHEUS / "tests").glob("*.test.yml")):
            test = yaml.safe_load(source.read_text())
            test["rule_files"] = [str(rules_file)]
            copy = Path(folder) / source.name
            copy.write_text(yaml.safe_dump(test, sort_keys=False))
            tests.append(str(copy))
        tested, test_output = run([promtool, "test", "rules", *tests])
    return tested, f"{output}\n{test_output}"


def lint_dockerfile(path: Path = ROOT / "Dockerfile") -> tuple[bool, str]:
    return run([tool("hadolint"), "--failure-threshold", "warning", str(path)])


def validate_compose(path: Path = ROOT / "docker-compose.yml") -> tuple[bool, str]:
    return run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)])


def base_is_current() -> tuple[bool, str]:
    return run([sys.executable, str(ROOT / "tools" / "k8s_manifests.py"), "--check"])


# --- the whole check -------------------------------------------------------------------------


def outcomes() -> Iterator[Outcome]:
    """Every check; a missing tool yields a failure in CI and a skip (passed) elsewhere."""

    def attempt(check: str, step: Any, *args: Any) -> Outcome:
        try:
            passed, output = step(*args)
        except MissingTool as exc:
            if os.environ.get("CI"):
                return Outcome(check, False, f"required in CI: {exc}")
            return Outcome(check, True, f"SKIPPED: {exc}")
        return Outcome(check, passed, output)

    yield attempt("k8s base generated from the code", base_is_current)
    yield attempt("hadolint Dockerfile", lint_dockerfile)
    yield attempt("compose-spec docker-compose.yml", validate_compose)
    for overlay in OVERLAYS:
        try:
            documents = render(overlay)
        except MissingTool as exc:
            yield attempt(f"{overlay}: kubectl kustomize", _raise, exc)
            continue
        except ValueError as exc:
            yield Outcome(f"{overlay}: kubectl kustomize", False, str(exc))
            continue
        yield Outcome(f"{overlay}: kubectl kustomize", True, f"{len(documents)} documents")
        yield attempt(f"{overlay}: kubernetes-validate --strict", validate_builtin, documents)
        yield attempt(f"{overlay}: check-jsonschema (CRDs)", validate_custom, documents)
        yield attempt(f"{overlay}: checkov", run_checkov, documents)
        yield attempt(f"{overlay}: promtool (PrometheusRule)", check_prometheus_rules, documents)


def _raise(exc: Exception) -> tuple[bool, str]:
    raise exc


def main() -> int:
    failed = []
    for outcome in outcomes():
        mark = "ok  " if outcome.passed else "FAIL"
        if outcome.output.startswith("SKIPPED"):
            mark = "skip"
        print(f"[{mark}] {outcome.check}", flush=True)
        if not outcome.passed or mark == "skip":
            print("       " + outcome.output.replace("\n", "\n       "), flush=True)
        if not outcome.passed:
            failed.append(outcome.check)
    if failed:
        print(f"deploy-check: {len(failed)} failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("deploy-check: everything Tandem deploys is valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
