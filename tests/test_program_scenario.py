"""A whole program through the four services on simulated time: the metrics service's KPI
report equals what an independent oracle recomputes from what the participants did."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tandem_devkit.embedded import StackInfo
from tandem_devkit.program import (
    Endpoints,
    ProgramOutcome,
    ProgramScenario,
    ScenarioPlan,
    program_start_clock,
)
from tandem_devkit.services import ServiceSet, start_services, wait_ready
from tandem_servicekit.clock import set_simulated_time
from tandem_simulation.truth import expected_kpis

PLAN = ScenarioPlan(employees=240, seed=5, departures=2, conflicts=1, zone_moves=1)


@pytest.fixture(scope="module")
def simulated(
    embedded_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceSet, Path]]:
    """The four services on a simulated clock of their own (topic prefix, databases)."""
    log_dir: Path = tmp_path_factory.mktemp("scenario-logs")
    token = log_dir.name.replace("-", "_")
    clock = log_dir / "clock"
    set_simulated_time(clock, program_start_clock(PLAN))
    running = start_services(
        embedded_stack,
        log_dir,
        topic_prefix=f"sim{token}.",
        database_suffix=f"_{token}",
        clock_file=clock,
    )
    try:
        wait_ready(running, timeout_s=90)
        yield running, clock
    finally:
        running.stop()


async def run_scenario(simulated: tuple[ServiceSet, Path], stack: StackInfo) -> ProgramOutcome:
    running, clock = simulated
    urls = Endpoints(**{name: svc.url for name, svc in running.services.items()})
    scenario = ProgramScenario(
        stack,
        urls,
        clock,
        PLAN,
        topic_prefix=running.topic_prefix,
        database_suffix=running.database_suffix,
    )
    return await scenario.run()


def _figure(report: dict[str, Any]) -> dict[str, Any]:
    return {k: report[k] for k in ("value", "respondents", "suppressed")}


async def test_the_report_equals_the_oracle(
    simulated: tuple[ServiceSet, Path], embedded_stack: StackInfo
) -> None:
    outcome = await run_scenario(simulated, embedded_stack)
    truth, report = outcome.truth, outcome.report
    expected = expected_kpis(truth, k=report["anonymity_threshold"])
    print(
        f"scenario: {len(truth.pairs)} pairs, {len(truth.held)} held, "
        f"{len(truth.missed)} + {len(truth.unreported)} missed, {len(truth.cancelled)} cancelled, "
        f"{len(truth.rescheduled)} moved, {len(truth.feedback)} feedback, "
        f"{len(truth.surveys)} survey answers; setup {outcome.setup_seconds:.1f} s, weeks "
        + ", ".join(f"{s:.1f}" for s in outcome.seconds_per_week)
    )
    for done in (
        truth.held,
        truth.missed,
        truth.unreported,
        truth.feedback,
        truth.surveys,
        truth.assessments,
        truth.departed,
        truth.moved_zone,
    ):
        assert done, "every kind of behaviour happened"
    assert {"participant_departed", "reporting_line_conflict"} <= set(truth.ended.values())
    for figure in (expected["mqs"], expected["nps"], expected["feedback"]["mentee"]["rating"]):
        assert not figure["suppressed"], "compared with numbers, not only with suppression"
    assert any(not c["self_delta"]["suppressed"] for c in expected["competence"].values())
    for status in ("held", "missed"):
        assert report["sessions"][status] == expected["sessions"][status], status
    assert report["sessions"]["scheduled"] == 0, "everything begun was accounted for"
    assert report["mentoring_seconds"] == pytest.approx(expected["mentoring_seconds"])
    for side in ("mentor", "mentee"):
        got, want = report["feedback"][side], expected["feedback"][side]
        assert got["requested"] == want["requested"], side
        assert _figure(got["completion"]) == want["completion"], side
        assert _figure(got["rating"]) == want["rating"], side
    assert _figure(report["mqs"]) == expected["mqs"]
    assert _figure(report["nps"]) == expected["nps"]
    competence = {c["topic_name"]: c for c in report["competence"]}
    assert set(competence) == set(expected["competence"])
    for topic, want in expected["competence"].items():
        assert _figure(competence[topic]["self_delta"]) == want["self_delta"], topic
        assert _figure(competence[topic]["partner_delta"]) == want["partner_delta"], topic
    assert report["ended_pairs_by_reason"] == expected["ended_pairs_by_reason"]
    assert report["active_pairs"] == 0, "the close ended every pair"
