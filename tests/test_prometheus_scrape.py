"""A real Prometheus (Debian's `prometheus` binary, temp TSDB, loopback) scrapes the four
services running as processes, loads Tandem's alert rules, and finds the metrics service's
program KPIs with the values the events imply. Skipped, saying why, where the binary is missing
(`make prometheus-tools`); `.ci/run` installs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tandem_contracts import Event, encode
from tandem_contracts import events as ev
from tandem_contracts.examples import AT
from tandem_contracts.values import Role
from tandem_devkit.embedded import StackInfo, free_port
from tandem_devkit.services import ServiceSet, start_services, wait_ready
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, Profile
from tandem_servicekit.testing import wait_until

from .seeds import program_and_pair

PROMETHEUS = shutil.which("prometheus")
RULES = Path(__file__).resolve().parents[1] / "deploy" / "prometheus" / "rules"
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None and not os.environ.get("CI"),
    reason="the prometheus binary is not installed (Debian package; make prometheus-tools)",
)


@pytest.fixture(scope="module")
def services(
    embedded_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceSet]:
    """The four services, the metrics one recomputing its KPIs every second."""
    log_dir = tmp_path_factory.mktemp("scrape-logs")
    token = log_dir.name.replace("-", "_")
    running = start_services(
        embedded_stack,
        log_dir,
        topic_prefix=f"prom{token}.",
        database_suffix=f"_{token}",
        extra_env={
            "TANDEM_METRICS_RULES__REFRESH_S": "1",
            "TANDEM_METRICS_RULES__ANONYMITY_THRESHOLD": "3",
        },
    )
    try:
        wait_ready(running, timeout_s=90)
        yield running
    finally:
        running.stop()


@pytest.fixture
def prometheus(services: ServiceSet, tmp_path: Path) -> Iterator[str]:
    assert PROMETHEUS is not None, "CI must have prometheus: .ci/run installs Debian's package"
    jobs = "\n".join(
        f"  - job_name: tandem-{name}\n    static_configs:\n"
        f"      - targets: ['{svc.url.removeprefix('http://')}']"
        for name, svc in services.services.items()
    )
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {RULES}/*.yml\nscrape_configs:\n{jobs}\n"
    )
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def story(program_id: str) -> list[Event]:
    """A program with three pairs, each with a held session whose mentee rates it."""
    events: list[Event] = []
    for n in range(3):
        opened, created = program_and_pair(
            program_id=program_id,
            pair_id=f"{program_id}-p{n}",
            manager="pm",
            mentor=f"{program_id}-mentor{n}",
            mentee=f"{program_id}-mentee{n}",
            starts_on=date.today() - timedelta(days=7),
            weeks=8,
        )
        events += [opened, created] if n == 0 else [created]
        session = {
            "session_id": f"{program_id}-s{n}",
            "pair_id": f"{program_id}-p{n}",
            "program_id": program_id,
        }
        assert isinstance(created, ev.PairCreated)
        events += [
            ev.SessionHeld(**session, held_at=AT, duration_minutes=30),
            ev.FeedbackRequested(
                **session,
                mentor_id=created.mentor.employee_id,
                mentee_id=created.mentee.employee_id,
                held_at=AT,
                remind_at=AT,
                requested_at=AT,
            ),
            ev.FeedbackSubmitted(
                pair_id=session["pair_id"],
                program_id=program_id,
                feedback_id=f"f{n}",
                session_id=session["session_id"],
                author_role=Role.MENTEE,
                rating=4,
                usefulness=4,
                submitted_at=AT,
            ),
        ]
    return events


async def query(url: str, promql: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as http:
        reply = await http.get(f"{url}/api/v1/query", params={"query": promql})
    body = reply.json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


async def test_prometheus_scrapes_every_service_and_finds_the_program_kpis(
    services: ServiceSet, prometheus: str, embedded_stack: StackInfo
) -> None:
    kafka = KafkaSettings(
        bootstrap_servers=embedded_stack.kafka_bootstrap,
        profile=Profile.EMBEDDED,
        topic_prefix=services.topic_prefix,
    )
    producer = KafkaPublisher(kafka, client_id="prom-test")
    await producer.start()
    records = [encode(e, source="/tandem/test") for e in story("prom-prog")]
    await producer.send_many([ProducerRecord.of(r, services.topic_prefix) for r in records])
    await producer.stop()

    async def all_up() -> bool:
        found = await query(prometheus, 'up{job=~"tandem-.*"} == 1')
        return len(found) == 4

    await wait_until(all_up, timeout_s=30, what="four targets up")
    held: list[dict[str, Any]] = []

    async def kpis_scraped() -> bool:
        held[:] = await query(
            prometheus, 'tandem_program_sessions{program="prom-prog",status="held"}'
        )
        return bool(held) and held[0]["value"][1] == "3"

    await wait_until(kpis_scraped, timeout_s=60, what="the program's held sessions in Prometheus")
    assert held[0]["metric"]["job"] == "tandem-metrics"
    [rating] = await query(prometheus, 'tandem_program_feedback_rating{program="prom-prog"}')
    assert (rating["metric"]["side"], rating["value"][1]) == ("mentee", "4")
    assert await query(prometheus, "tandem_service_ready == 0") == []
    async with httpx.AsyncClient(timeout=5) as http:
        rules = (await http.get(f"{prometheus}/api/v1/rules")).json()["data"]["groups"]
    assert {g["name"] for g in rules} == {"tandem-operations", "tandem-programs"}
    assert all(r["health"] == "ok" for g in rules for r in g["rules"])
