"""The Prometheus configuration and alert rules in deploy/prometheus, checked by promtool:
the config and rules are valid, every alert's unit test passes (firing when it should, and
not before), and every series an operations rule reads is one a live service exposes.

promtool comes from Debian's `prometheus` package (`make prometheus-tools` installs it as
root); `.ci/run` installs it and fails without it, elsewhere these tests are skipped, saying so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tandem_devkit.embedded import StackInfo
from tandem_devkit.harness import running_service, service_settings
from tandem_feedback.bootstrap import build_app
from tandem_feedback.settings import FeedbackSettings

PROMETHEUS = Path(__file__).resolve().parents[1] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
PROGRAM_KPIS = {
    "tandem_program_cadence_adherence_ratio",
    "tandem_program_feedback_completion_ratio",
}
"""Exposed by the metrics service's program KPIs (issue 11), labelled by program."""

needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"),
    reason="promtool not installed (Debian package `prometheus`; `make prometheus-tools`)",
)


def promtool(*args: str) -> str:
    assert PROMTOOL is not None, "CI must have promtool: .ci/run installs Debian's prometheus"
    result = subprocess.run(
        [PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=300, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@needs_promtool
def test_the_config_and_its_rules_are_valid() -> None:
    output = promtool("check", "config", "prometheus.yml")
    assert "SUCCESS: 2 rule files found" in output


@needs_promtool
def test_every_alert_has_a_passing_unit_test() -> None:
    tests = sorted(str(p.relative_to(PROMETHEUS)) for p in (PROMETHEUS / "tests").glob("*.yml"))
    output = promtool("test", "rules", *tests)
    assert output.count("SUCCESS") == len(tests)
    tested = set(re.findall(r"alertname: (\w+)", _text(PROMETHEUS / "tests")))
    defined = set(re.findall(r"alert: (\w+)", _text(PROMETHEUS / "rules")))
    assert defined, "rules define alerts"
    assert defined == tested, f"alerts without a unit test: {sorted(defined - tested)}"


async def test_operations_rules_read_only_series_a_service_exposes(
    embedded_stack: StackInfo, unique: str
) -> None:
    settings = service_settings(FeedbackSettings, embedded_stack, unique)
    async with running_service(build_app, settings) as service:
        exposed = set(re.findall(r"^# TYPE (\w+)", (await service.http.get("/metrics")).text, re.M))
    exposed |= {"up"}  # Prometheus's own, per target
    exposed = {_base(name) for name in exposed}
    used = set(re.findall(r"\b(tandem_[a-z_]+|up)\b", _text(PROMETHEUS / "rules")))
    patterns = set(re.findall(r'__name__=~"([^"]+)"', _text(PROMETHEUS / "rules")))
    for pattern in patterns:
        assert any(re.fullmatch(pattern, name) for name in exposed), pattern
    unknown = {u for u in used if _base(u) not in exposed} - PROGRAM_KPIS
    assert not unknown, f"rules read series no service exposes: {sorted(unknown)}"


def _base(name: str) -> str:
    """`# TYPE x counter` names the family; a rule reads `x_total`."""
    return name.removesuffix("_total")


def _text(folder: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(folder.glob("*.yml")))
