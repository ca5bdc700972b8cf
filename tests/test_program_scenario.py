"""A whole program through the four services on simulated time, as the proofs of issue 14.

- **KPIs are right**: the metrics service's report equals what an independent oracle
  recomputes from what the simulated participants did.
- **Poison**: during that same run, malformed records of 18 kinds are sent to every topic a
  service consumes; each lands in the topic's `.dlq` once per consuming group with the reason
  an integrator can act on, and changes nothing (the next proof's state comparison covers it).
- **Outage**: the same plan on a deployment of its own, whose database server is frozen for 10 s
  (SIGSTOP) and whose broker is unreachable for 5 s (every connection dropped and refused)
  mid-run: every service's readiness goes 503 and back, and the final state and KPI report
  equal the first run's.
- **Crash safety**: the same plan again on a fresh deployment while every service is SIGKILLed
  three times at random moments and restarted: every service's final state digest and the
  KPI report equal the first run's, and every pair has exactly one PairEnded.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from tandem_contracts import Event
from tandem_contracts.events import (
    EmployeeErasureRequested,
    PairCreated,
    PairEnded,
    SessionHeld,
    SurveyAnswered,
)
from tandem_contracts.topics import FEEDBACK, HR_EMPLOYEES, PAIRING, SCHEDULING
from tandem_devkit.backlogs import CONSUMER_GROUPS
from tandem_devkit.digest import ServiceState, differences, state_digests
from tandem_devkit.embedded import StackInfo, free_port, free_port_block, start_broker
from tandem_devkit.faults import Kill, Killer, ServiceGate
from tandem_devkit.outage import BrokerCutThread, ReadinessLog, freeze
from tandem_devkit.poison import POISON_HEADER, Poison, poison_for
from tandem_devkit.processes import stop_process
from tandem_devkit.program import (
    Endpoints,
    ProgramOutcome,
    ProgramScenario,
    ScenarioPlan,
    program_start_clock,
)
from tandem_devkit.services import SERVICES, ServiceSet, start_services, wait_ready
from tandem_servicekit.clock import set_simulated_time
from tandem_servicekit.testing import read_topic
from tandem_simulation.truth import expected_kpis

SCENARIO_TIMEOUT_S = 900
"""A test's budget includes its scenario run (a module fixture): 3-7 minutes here."""
PLAN = ScenarioPlan(
    employees=330, seed=5, departures=2, conflicts=1, zone_moves=1, mentor_capacity=1
)
"""One mentee per mentor: the runs are compared document by document, and the scheduling
service plans a mentor's several pairs in the order it reads them (see `ScenarioPlan`)."""
CONSUMERS: dict[str, list[str]] = {}
"""Which services consume each topic (the poison must reach every one of them)."""
for _group in CONSUMER_GROUPS:  # `tandem-<service>.<topic>`
    _service, _topic = _group.removeprefix("tandem-").split(".", 1)
    CONSUMERS.setdefault(_topic, []).append(_service)
TEMPLATES: dict[str, tuple[type[Event], ...]] = {
    HR_EMPLOYEES: (EmployeeErasureRequested,),
    PAIRING: (PairCreated,),
    SCHEDULING: (SessionHeld,),
    FEEDBACK: (SurveyAnswered,),
}
"""Types every consumer of the topic handles (a type a consumer ignores is never read)."""
SHORT_LEASES = {
    "TANDEM_{S}_OUTBOX__LEASE_S": "2",
    "TANDEM_{S}_RULES__LEASE_S": "2",
}
"""A killed process's leases (outbox relay, ticker) keep its successor waiting this long."""


@dataclass
class Finished:
    outcome: ProgramOutcome
    states: dict[str, ServiceState]
    events: int
    """Distinct events on the four topics (CloudEvents ids; poison not counted)."""
    pair_ends: Counter[str]
    """Distinct PairEnded events per pair (as mentor/mentee: ids differ between runs)."""
    types: Counter[str]
    """Distinct events by type."""
    seconds: float = 0.0

    @property
    def report(self) -> dict[str, Any]:
        """The KPI report without what names this run (its program id, when it was read)."""
        return {
            k: v for k, v in self.outcome.report.items() if k not in ("program_id", "computed_at")
        }

    @property
    def ends(self) -> dict[str, str]:
        """How each pair ended, by mentor/mentee."""
        truth = self.outcome.truth
        return {
            f"{p.mentor_id}/{p.mentee_id}": truth.ended[p.pair_id] for p in truth.pairs.values()
        }


def deploy(stack: StackInfo, log_dir: Path, **env: str) -> tuple[ServiceSet, Path]:
    token = log_dir.name.replace("-", "_")
    clock = log_dir / "clock"
    set_simulated_time(clock, program_start_clock(PLAN))
    running = start_services(
        stack,
        log_dir,
        topic_prefix=f"sim{token}.",
        database_suffix=f"_{token}",
        clock_file=clock,
        extra_env=env,
    )
    wait_ready(running, timeout_s=90)
    return running, clock


def scenario_for(stack: StackInfo, running: ServiceSet, clock: Path) -> ProgramScenario:
    urls = Endpoints(**{name: svc.url for name, svc in running.services.items()})
    return ProgramScenario(
        stack,
        urls,
        clock,
        PLAN,
        topic_prefix=running.topic_prefix,
        database_suffix=running.database_suffix,
        gate=ServiceGate(),
    )


async def finish(stack: StackInfo, running: ServiceSet, outcome: ProgramOutcome) -> Finished:
    databases = {name: f"tandem_{name}{running.database_suffix}" for name in SERVICES}
    states = await state_digests(stack.mongo_uri, databases)
    ids: set[bytes] = set()
    types: Counter[str] = Counter()
    pair_ends: dict[str, set[bytes]] = {}
    for topic in (HR_EMPLOYEES, PAIRING, SCHEDULING, FEEDBACK):
        prefixed = running.topic_prefix + topic
        for record in await read_topic(stack.kafka_bootstrap, prefixed, at_least=0, timeout_s=60):
            if POISON_HEADER in record.headers or "ce_id" not in record.headers:
                continue
            if record.headers["ce_id"] not in ids:
                types[record.headers.get("ce_type", b"").decode()] += 1
            ids.add(record.headers["ce_id"])
            if record.headers.get("ce_type") == PairEnded.event_type.encode():
                ended = json.loads(record.value or b"{}")
                pair = f"{ended['mentor_id']}/{ended['mentee_id']}"
                pair_ends.setdefault(pair, set()).add(record.headers["ce_id"])
    ends = Counter({p: len(e) for p, e in pair_ends.items()})
    return Finished(outcome, states, len(ids), ends, types)


# -- the no-fault run, with poison -------------------------------------------------------------


def all_poison() -> list[Poison]:
    return [p for topic, types in TEMPLATES.items() for p in poison_for(topic, types)]


async def inject(stack: StackInfo, prefix: str, poison: list[Poison], begun: asyncio.Event) -> None:
    """Once the weeks begin, in four bursts a few seconds apart."""
    await begun.wait()
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka_bootstrap, max_request_size=2 * 1024 * 1024
    )
    await producer.start()
    try:
        for burst in range(4):
            for record in poison[burst::4]:
                await producer.send_and_wait(
                    prefix + record.topic,
                    key=record.key,
                    value=record.value,
                    headers=record.headers,
                )
            await asyncio.sleep(3)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def clean(
    embedded_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Finished, ServiceSet, list[Poison]]:
    running, clock = deploy(embedded_stack, tmp_path_factory.mktemp("scenario-clean"))
    poison = all_poison()

    async def run() -> Finished:
        scenario = scenario_for(embedded_stack, running, clock)
        began = time.monotonic()
        sending = asyncio.create_task(
            inject(embedded_stack, running.topic_prefix, poison, scenario.weeks_begun)
        )
        outcome = await scenario.run()
        await sending
        done = await finish(embedded_stack, running, outcome)
        done.seconds = time.monotonic() - began
        return done

    try:
        finished = asyncio.run(run())
    finally:
        running.stop()  # the next runs get the machine to themselves
    return finished, running, poison


def assert_same_outcome(reference: Finished, finished: Finished) -> None:
    """Every service's state digest and the KPI report, as in the no-fault run."""
    unequal = {
        service: differences(reference.states[service], finished.states[service])
        for service in SERVICES
        if reference.states[service].digest != finished.states[service].digest
    }
    assert not unequal, unequal
    assert finished.report == reference.report


def _figure(report: dict[str, Any]) -> dict[str, Any]:
    return {k: report[k] for k in ("value", "respondents", "suppressed")}


@pytest.mark.timeout(SCENARIO_TIMEOUT_S)
def test_the_report_equals_the_oracle(clean: tuple[Finished, ServiceSet, list[Poison]]) -> None:
    finished = clean[0]
    truth, report = finished.outcome.truth, finished.outcome.report
    expected = expected_kpis(truth, k=report["anonymity_threshold"])
    print(
        f"scenario: {finished.events} events, {len(truth.pairs)} pairs, {len(truth.held)} held, "
        f"{len(truth.missed)} + {len(truth.unreported)} missed, {len(truth.cancelled)} cancelled, "
        f"{len(truth.rescheduled)} moved, {len(truth.feedback)} feedback, "
        f"{len(truth.surveys)} survey answers; {finished.seconds:.0f} s, setup "
        f"{finished.outcome.setup_seconds:.1f} s, waiting for backlogs "
        f"{finished.outcome.settle_seconds:.0f} s, weeks "
        + ", ".join(f"{s:.1f}" for s in finished.outcome.seconds_per_week)
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


@pytest.mark.timeout(SCENARIO_TIMEOUT_S)
async def test_every_poison_record_is_dead_lettered_once_per_consumer(
    clean: tuple[Finished, ServiceSet, list[Poison]], embedded_stack: StackInfo
) -> None:
    _, running, poison = clean
    kinds = {p.poison_id.split("/")[1] for p in poison}
    assert len(poison) >= 500
    assert len(kinds) >= 10
    wanted = {
        (p.poison_id, f"tandem-{svc}"): p.reason for p in poison for svc in CONSUMERS[p.topic]
    }
    seen: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    per_topic: dict[str, int] = {}
    for topic in CONSUMERS:
        expected = sum(1 for (pid, _) in wanted if pid.startswith(topic + "/"))
        dead = await read_topic(
            embedded_stack.kafka_bootstrap,
            running.topic_prefix + topic + ".dlq",
            at_least=expected,
            timeout_s=60,
        )
        per_topic[topic] = len(dead)
        for record in dead:
            poison_id = record.headers.get(POISON_HEADER, b"").decode()
            group = record.headers["tandem_dlq_consumer_group"].decode()
            reason = record.headers["tandem_dlq_reason"].decode()
            seen[(poison_id, group)] += 1
            if wanted.get((poison_id, group)) != reason:
                wrong.append(
                    f"{poison_id} in {group}: {reason}, expected {wanted.get((poison_id, group))}"
                )
            assert record.headers["tandem_dlq_error_message"], "a reason to act on"
    print(
        f"poison: {len(poison)} records of {len(kinds)} kinds on {len(CONSUMERS)} topics; "
        f"DLQ copies per topic {per_topic}"
    )
    assert not wrong, wrong[:10]
    assert set(seen) == set(wanted), sorted(set(wanted) - set(seen))[:10]
    assert max(seen.values()) == 1, [k for k, n in seen.items() if n > 1][:10]


# -- the same plan under SIGKILLs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def killed(
    embedded_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Finished, list[Kill]]:
    env = {
        name.format(S=service.upper()): value
        for service in SERVICES
        for name, value in SHORT_LEASES.items()
        if service in ("scheduling", "feedback") or "RULES" not in name
    }
    running, clock = deploy(embedded_stack, tmp_path_factory.mktemp("scenario-killed"), **env)

    async def run() -> tuple[Finished, list[Kill]]:
        scenario = scenario_for(embedded_stack, running, clock)
        killer = Killer(running, scenario.gate, seed=PLAN.seed)
        began = time.monotonic()

        async def kill_during_the_weeks() -> list[Kill]:
            await scenario.weeks_begun.wait()
            return await killer.run()

        # A task group: a kill or restart that fails stops the scenario at once, and the
        # other way round.
        async with asyncio.TaskGroup() as both:
            killing = both.create_task(kill_during_the_weeks())
            running_scenario = both.create_task(scenario.run())
            await asyncio.wait([running_scenario])
            assert killing.done(), "every kill happened before the scenario ended"
        kills, outcome = killing.result(), running_scenario.result()
        done = await finish(embedded_stack, running, outcome)
        done.seconds = time.monotonic() - began
        return done, kills

    try:
        return asyncio.run(run())
    finally:
        running.stop()


@pytest.mark.timeout(SCENARIO_TIMEOUT_S)
async def test_sigkills_change_nothing(
    clean: tuple[Finished, ServiceSet, list[Poison]],
    killed: tuple[Finished, list[Kill]],
    embedded_stack: StackInfo,
) -> None:
    reference, (finished, kills) = clean[0], killed
    per_service = Counter(k.service for k in kills)
    print(
        f"crash safety: {finished.events} events, {len(kills)} SIGKILLs {dict(per_service)}, "
        f"ready again after {min(k.ready_after_s for k in kills):.1f}-"
        f"{max(k.ready_after_s for k in kills):.1f} s; {finished.seconds:.0f} s "
        f"(no-fault run {reference.seconds:.0f} s)"
    )
    assert finished.events >= 5_000, "the issue's minimum"
    assert finished.types == reference.types, (finished.types - reference.types) + (
        reference.types - finished.types
    )
    assert all(per_service[s] >= 3 for s in SERVICES), per_service
    assert_same_outcome(reference, finished)
    assert finished.ends == reference.ends
    assert set(finished.pair_ends) == set(finished.ends), "every pair ended"
    assert set(finished.pair_ends.values()) == {1}, "exactly one PairEnded each"


# -- the same plan through a database freeze and a broker outage -------------------------------

FREEZE_S = 10.0
CUT_S = 5.0


@dataclass
class Outages:
    readiness: ReadinessLog
    frozen_at: float
    cut_at: float


async def outages(
    scenario: ProgramScenario, stack: StackInfo, broker: BrokerCutThread, log: ReadinessLog
) -> Outages:
    """A while into the weeks: the database frozen (while no request is in flight: what an
    unanswered command did is unknown to a client, see `tandem_devkit.faults`), then, once
    every service is ready again, the broker gone for a while."""
    await scenario.weeks_begun.wait()
    await asyncio.sleep(8)
    async with contextlib.AsyncExitStack() as closed:
        for service in SERVICES:
            await closed.enter_async_context(scenario.gate.closed(service))
        frozen_at = log.elapsed()
        await freeze(stack.mongo_pid, FREEZE_S)
    await log.until_all_ready(timeout_s=120)
    await asyncio.sleep(5)
    cut_at = log.elapsed()
    await broker.cut(CUT_S)
    await log.until_all_ready(timeout_s=120)
    return Outages(log, frozen_at, cut_at)


@pytest.fixture(scope="module")
def outage(
    embedded_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Finished, Outages]:
    if embedded_stack.mongo_pid <= 0:
        pytest.skip("the database server was started elsewhere: this run cannot freeze it")
    log_dir = tmp_path_factory.mktemp("scenario-outage")
    # Below the ephemeral range: the proxy binds its port again after the cut, and an outgoing
    # connection must not have taken it meanwhile.
    proxy_port = free_port_block(1)
    broker_port = free_port()
    broker = start_broker(log_dir, broker_port, advertised_port=proxy_port)
    proxy = BrokerCutThread(proxy_port, broker_port)
    stack = dataclasses.replace(
        embedded_stack, kafka_bootstrap=f"127.0.0.1:{proxy_port}", kafka_pid=broker.pid
    )
    running: ServiceSet | None = None
    try:
        proxy.start()
        running, clock = deploy(stack, log_dir)

        async def run() -> tuple[Finished, Outages]:
            assert running is not None
            scenario = scenario_for(stack, running, clock)
            log = ReadinessLog({name: svc.url for name, svc in running.services.items()})
            stop = asyncio.Event()
            began = time.monotonic()
            async with asyncio.TaskGroup() as tasks:  # one failing stops the others
                watching = tasks.create_task(log.watch(stop))
                faults = tasks.create_task(outages(scenario, stack, proxy, log))
                running_scenario = tasks.create_task(scenario.run())
                await asyncio.wait([running_scenario])
                assert faults.done(), "both outages happened before the scenario ended"
                stop.set()
            outcome, happened = running_scenario.result(), faults.result()
            await watching
            done = await finish(stack, running, outcome)
            done.seconds = time.monotonic() - began
            return done, happened

        return asyncio.run(run())
    finally:
        if running is not None:
            running.stop()
        proxy.stop()
        stop_process(broker)


@pytest.mark.timeout(SCENARIO_TIMEOUT_S)
async def test_a_database_freeze_and_a_broker_outage_change_nothing(
    clean: tuple[Finished, ServiceSet, list[Poison]], outage: tuple[Finished, Outages]
) -> None:
    reference, (finished, happened) = clean[0], outage
    log = happened.readiness
    recovered: dict[str, float] = {}
    for service in SERVICES:
        during = log.statuses(service, happened.frozen_at, happened.cut_at)
        assert 503 in during, f"{service} never answered 503 while its database was frozen"
        back_after = log.not_ready_for(service, happened.frozen_at, happened.cut_at)
        assert back_after is not None, f"{service} was not ready again before the cut"
        recovered[service] = back_after
    after_cut = {s: log.not_ready_for(s, happened.cut_at, float("inf")) for s in SERVICES}
    print(
        f"outage: database frozen {FREEZE_S:.0f} s, not ready for "
        + ", ".join(f"{s} {t:.1f} s" for s, t in recovered.items())
        + f"; broker away {CUT_S:.0f} s, then not ready for "
        + ", ".join(f"{s} {t or 0:.1f} s" for s, t in after_cut.items())
        + f" (all ready again); {finished.events} events, {finished.seconds:.0f} s"
    )
    assert_same_outcome(reference, finished)
    assert set(finished.pair_ends.values()) == {1}, "exactly one PairEnded each"
