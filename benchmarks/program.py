"""The whole program as a benchmark: the demo's scenario through the four live services.

    uv run python benchmarks/program.py                      # 600 employees
    uv run python benchmarks/program.py --employees 2000 --deadline-s 1800

Everything runs on the embedded stack, started for the run, the four services as their own
processes on a simulated clock, driven only through Kafka (the HR feed) and HTTP, as in
`make demo` (days overlap with the services' own work: no settling between days). Printed:

1. The broker's raw rate in the same run: 20,000 records of 400 bytes produced and consumed
   by plain aiokafka clients (no consumer group), the ceiling for any consumer.
2. Wall time of the setup and of each simulated week.
3. Records each service consumed per second over the whole run (its own
   `tandem_consumer_records_total`), against the raw consume rate.
4. Peak memory (VmHWM) of each service process.
5. End-to-end lag of HR departures of people in active pairs (`--departures`, sent together
   in week 3): from the departure on `hr.employees.v1` to the pair's `PairEnded`, to the
   first `SessionCancelled` of its sessions, and to the metrics service counting the pair
   as ended (its database, polled every 50 ms); p50 and p99.

A size that does not finish within `--deadline-s` is reported with the day it reached.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from measure import cpu_model
from pymongo import AsyncMongoClient

from tandem_contracts.events import EmployeeDeparted, PairEnded, SessionCancelled
from tandem_contracts.topics import HR_EMPLOYEES, PAIRING, SCHEDULING
from tandem_devkit.embedded import StackInfo, start_stack, stop_stack
from tandem_devkit.program import Endpoints, ProgramScenario, ScenarioPlan, program_start_clock
from tandem_devkit.services import SERVICES, ServiceSet, start_services, wait_ready
from tandem_servicekit.clock import set_simulated_time

RAW_RECORDS = 20_000
WATCHED = {
    EmployeeDeparted.event_type: "departed",
    PairEnded.event_type: "pair_ended",
    SessionCancelled.event_type: "cancelled",
}


async def raw_broker_rate(stack: StackInfo) -> tuple[float, float]:
    """(records/s produced, records/s consumed) by plain aiokafka clients."""
    topic = f"bench-raw-{time.time_ns()}"
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, linger_ms=5)
    await producer.start()
    value = b"x" * 400
    try:
        began = time.monotonic()
        sent = [
            await producer.send(topic, value, key=str(n % 64).encode()) for n in range(RAW_RECORDS)
        ]
        await asyncio.gather(*sent)
        produced = RAW_RECORDS / (time.monotonic() - began)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        began, seen = time.monotonic(), 0
        while seen < RAW_RECORDS:
            batch = await consumer.getmany(timeout_ms=500, max_records=5_000)
            seen += sum(len(records) for records in batch.values())
        consumed = RAW_RECORDS / (time.monotonic() - began)
    finally:
        await consumer.stop()
    return produced, consumed


class LagWatch:
    """Arrival times (monotonic) of the departure chain's events, by employee and by pair."""

    def __init__(self, stack: StackInfo, prefix: str, metrics_db: str) -> None:
        self.stack = stack
        self.prefix = prefix
        self.metrics_db = metrics_db
        self.departed: dict[str, float] = {}
        self.pair_ended: dict[str, tuple[float, list[str]]] = {}
        self.cancelled: dict[str, float] = {}
        self.counted: dict[str, float] = {}

    async def watch(self, stop: asyncio.Event) -> None:
        topics = [self.prefix + t for t in (HR_EMPLOYEES, PAIRING, SCHEDULING)]
        consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=self.stack.kafka_bootstrap, auto_offset_reset="latest"
        )
        await consumer.start()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=50)
                now = time.monotonic()
                for records in batch.values():
                    for record in records:
                        self._seen(record.headers, record.value, now)
        finally:
            await consumer.stop()

    def _seen(self, headers: Any, value: bytes | None, now: float) -> None:
        kind = WATCHED.get(dict(headers).get("ce_type", b"").decode())
        if kind is None or value is None:
            return
        data = json.loads(value)
        if kind == "departed":
            self.departed.setdefault(data["employee_id"], now)
        elif kind == "pair_ended" and data["reason"] == "participant_departed":
            people = [data["mentor_id"], data["mentee_id"]]
            self.pair_ended.setdefault(data["pair_id"], (now, people))
        elif kind == "cancelled":
            self.cancelled.setdefault(data["pair_id"], now)

    async def poll_metrics(self, stop: asyncio.Event) -> None:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.stack.mongo_uri)
        try:
            while not stop.is_set():
                if self.pair_ended:
                    cursor = client[self.metrics_db]["pairs"].find(
                        {"end_reason": "participant_departed"}, {"pair_id": 1}
                    )
                    now = time.monotonic()
                    async for pair in cursor:
                        self.counted.setdefault(pair["pair_id"], now)
                await asyncio.sleep(0.05)
        finally:
            await client.close()

    def lags(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {"PairEnded": [], "SessionCancelled": [], "KPI": []}
        for pair_id, (ended_at, people) in self.pair_ended.items():
            sent = min((self.departed[p] for p in people if p in self.departed), default=None)
            if sent is None:
                continue
            found["PairEnded"].append(ended_at - sent)
            if pair_id in self.cancelled:
                found["SessionCancelled"].append(self.cancelled[pair_id] - sent)
            if pair_id in self.counted:
                found["KPI"].append(self.counted[pair_id] - sent)
        return found


def peak_memory_mib(running: ServiceSet) -> dict[str, float]:
    peaks: dict[str, float] = {}
    for name, svc in running.services.items():
        for line in Path(f"/proc/{svc.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks[name] = int(line.split()[1]) / 1024
    return peaks


async def consumed(running: ServiceSet) -> dict[str, float]:
    totals: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for name, svc in running.services.items():
            text = (await http.get(svc.url + "/metrics")).text
            totals[name] = sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("tandem_consumer_records_total{")
            )
    return totals


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if values else 0.0


async def one_size(
    stack: StackInfo, state: Path, employees: int, departures: int, deadline_s: float
) -> None:
    plan = ScenarioPlan(employees=employees, seed=11, departures=departures, settle_daily=False)
    running: ServiceSet | None = None
    try:
        produced, raw = await raw_broker_rate(stack)
        print(
            f"\n## {employees:,} employees\nraw broker: {produced:,.0f} records/s produced, "
            f"{raw:,.0f} records/s consumed"
        )
        clock = state / "clock"
        set_simulated_time(clock, program_start_clock(plan))
        started = time.monotonic()
        running = start_services(stack, state / "logs", clock_file=clock)
        await asyncio.to_thread(wait_ready, running, 120)
        print(f"services ready after {time.monotonic() - started:.1f} s")
        urls = Endpoints(**{n: s.url for n, s in running.services.items()})
        scenario = ProgramScenario(stack, urls, clock, plan)
        watch = LagWatch(stack, "", "tandem_metrics")
        stop = asyncio.Event()
        watchers = [
            asyncio.create_task(watch.watch(stop)),
            asyncio.create_task(watch.poll_metrics(stop)),
        ]
        reached = {"day": -1}

        def on_day(day: int, _: object) -> None:
            reached["day"] = day
            if day % 7 == 6:
                print(
                    f"  week {day // 7 + 1} done at {time.monotonic() - started:.0f} s", flush=True
                )

        def on_phase(name: str, seconds: float) -> None:
            print(f"  setup: {name} {seconds:.1f} s", flush=True)

        try:
            outcome = await asyncio.wait_for(scenario.run(on_day, on_phase), deadline_s)
        except TimeoutError:
            print(
                f"NOT FINISHED within {deadline_s:.0f} s: reached simulated day "
                f"{reached['day'] + 1} of {plan.days}"
            )
            outcome = None
        wall = time.monotonic() - started
        stop.set()
        await asyncio.gather(*watchers)
        totals = await consumed(running)
        peaks = peak_memory_mib(running)
        if outcome is not None:
            weeks = ", ".join(f"{s:.0f}" for s in outcome.seconds_per_week)
            print(
                f"report after {wall:.0f} s: setup {outcome.setup_seconds:.0f} s, "
                f"weeks (s) {weeks}; {len(outcome.truth.pairs)} pairs"
            )
        print("| service | records consumed | per s (whole run) | vs raw consume | peak RSS MiB |")
        print("|---|---|---|---|---|")
        for name in SERVICES:
            rate = totals[name] / wall
            row = (name, f"{totals[name]:,.0f}", f"{rate:,.1f}", f"{rate / raw:.3%}")
            print("| " + " | ".join(row) + f" | {peaks[name]:,.0f} |")
        lags = watch.lags()
        print(
            f"departures → (from the departure on hr.employees.v1), {len(lags['PairEnded'])} pairs:"
        )
        for step, values in lags.items():
            if values:
                p50, p99 = percentile(values, 50), percentile(values, 99)
                print(f"  {step}: p50 {p50:.2f} s, p99 {p99:.2f} s (n={len(values)})")
            else:
                print(f"  {step}: not observed")
    finally:
        if running is not None:
            running.stop()


def main(
    employees: Annotated[list[int], typer.Option(help="company sizes, one run each")] = [600],  # noqa: B006
    departures: Annotated[int, typer.Option(help="departures in week 3")] = 20,
    deadline_s: Annotated[float, typer.Option(help="give up on a size after this")] = 1800.0,
) -> None:
    print(f"CPU: {cpu_model()}")
    for size in employees:
        state = Path(tempfile.mkdtemp(prefix="tandem-bench-program-"))
        stack = start_stack(state / "stack", mongo_cache="2G")
        try:
            asyncio.run(one_size(stack, state, size, departures, deadline_s))
        finally:
            stop_stack(stack)


if __name__ == "__main__":
    typer.run(main)
