"""HR ingest benchmark: how fast the pairing service's projection takes HR events, end to end.

    uv run python benchmarks/hr_ingest.py                 # 20,000 hires + 5,000 updates
    uv run python benchmarks/hr_ingest.py --hires 5000 --updates 1000 --departures 100

Everything runs on the embedded stack, started for the run, with the pairing service as its own
process (`python -m tandem_pairing`, as deployed), fed over Kafka like an HR system would:

1. Baseline: raw `insert_many` of the same employee documents into a scratch collection of the
   same database server (batches of 1,000): the ceiling a projection could approach.
2. Per-record consumption (`TANDEM_PAIRING_CONSUMER__BATCH_MAX_RECORDS=1`, one transaction per
   record: how the service consumed before batching), on a smaller slice so it ends in time.
3. Batch consumption (the default): hires then updates, timed from the first record sent until
   the service's own `/metrics` count every one of them as processed. First-call: until the
   first record is processed; steady state: the rate over the rest.
4. Growth: 2,000 hires (people who manage nobody yet) and 2,000 updates into an empty
   projection, then the same events into one already holding a company of `--grown-size`
   employees, half of them enrolled and matched
   into active pairs (enrollments written straight into the database, matched over HTTP): the
   per-event rate must not fall with the data (every handler query has an index).
5. Departures of mentees in active pairs (matched over HTTP beforehand): the time from sending
   each departure until its `PairEnded` is on `tandem.pairing.v1`, read by an independent
   consumer. At a steady 10/s while the service is otherwise idle, as a burst of 300 sent at
   once, and at 10/s while a bulk update load is streaming in at the same time.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from measure import (
    Throughput,
    cpu_model,
    enroll_directly,
    open_bench_program,
    outbox_drained,
    processed,
    until,
)
from rich.console import Console
from rich.table import Table

from tandem_contracts import Event, decode, encode
from tandem_contracts.events import EmployeeDeparted, EmployeeUpdated, PairEnded
from tandem_contracts.topics import HR_EMPLOYEES, PAIRING
from tandem_devkit.embedded import StackInfo, start_stack, stop_stack
from tandem_devkit.runs import run_matching
from tandem_devkit.services import ServiceSet, start_services, wait_ready
from tandem_servicekit.mongo import make_client
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, MongoSettings, Profile
from tandem_simulation import SyntheticPerson, company

app = typer.Typer(add_completion=False)
console = Console(width=160)
SEED = 7
DEPARTURE_RATE = 10.0
GROWTH_CACHE = "1G"


class Bench:
    def __init__(self, stack: StackInfo, workdir: Path) -> None:
        self.stack = stack
        self.workdir = workdir
        self.kafka = KafkaSettings(
            bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED
        )
        self.runs = 0

    def records_of(self, events: list[Event], prefix: str) -> list[ProducerRecord]:
        return [ProducerRecord.of(encode(e, source="/hr/bench"), prefix) for e in events]

    def start_pairing(self, batch_max_records: int) -> tuple[ServiceSet, str]:
        self.runs += 1
        prefix = f"bench{self.runs}."
        env = {"TANDEM_PAIRING_CONSUMER__BATCH_MAX_RECORDS": str(batch_max_records)}
        env["TANDEM_PAIRING_LOG_LEVEL"] = "WARNING"
        running = start_services(
            self.stack,
            self.workdir,
            names=("pairing",),
            topic_prefix=prefix,
            database_suffix=f"_bench{self.runs}",
            extra_env=env,
        )
        wait_ready(running, timeout_s=120)
        return running, prefix

    async def ingest(self, label: str, events: list[Event], batch_max_records: int) -> Throughput:
        running, prefix = self.start_pairing(batch_max_records)
        try:
            url = running.services["pairing"].url
            topic = prefix + HR_EMPLOYEES
            records = self.records_of(events, prefix)
            publisher = KafkaPublisher(self.kafka, client_id="bench-hr")
            await publisher.start()
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                started = time.monotonic()
                await publisher.send_many(records)
                first = await until(lambda: self._at_least(http, topic, 1))
                done = await until(lambda: self._at_least(http, topic, len(records)), 3600)
            await publisher.stop()
            return Throughput(label, len(records), done - started, first - started)
        finally:
            running.stop()

    async def _at_least(self, http: httpx.AsyncClient, topic: str, n: int) -> bool:
        return await processed(http, topic) >= n

    async def departures(
        self,
        people: list[SyntheticPerson],
        count: int,
        background: list[Event],
        rate: float | None = DEPARTURE_RATE,
    ) -> list[float]:
        """Latency (s) from each departure sent until its PairEnded is readable downstream;
        `rate` None: all of them at once (a burst, as a bulk HR correction sends them)."""
        running, prefix = self.start_pairing(500)
        try:
            url = running.services["pairing"].url
            publisher = KafkaPublisher(self.kafka, client_id="bench-hr")
            await publisher.start()
            await publisher.send_many(self.records_of([p.hr_event() for p in people], prefix))
            headers = self.stack.auth_headers("bench-manager")
            async with httpx.AsyncClient(base_url=url, timeout=120, headers=headers) as http:
                topic = prefix + HR_EMPLOYEES
                await until(lambda: self._at_least(http, topic, len(people)), 600)
                mentees = await self.matched_mentees(http, people)
            chosen = mentees[:count]
            reader = EndedReader(self.stack.kafka_bootstrap, prefix + PAIRING)
            await reader.start()
            reading = asyncio.create_task(reader.until_ended(set(chosen), timeout_s=300))
            load = asyncio.create_task(self.stream(publisher, background, prefix))
            sent: dict[str, float] = {}
            departed_at = people[0].hr_event().effective_at
            schedule = time.monotonic()
            events = [
                EmployeeDeparted(
                    employee_id=employee_id,
                    departed_on=departed_at.date(),
                    effective_at=departed_at.replace(year=departed_at.year + 200),
                )
                for employee_id in chosen
            ]
            if rate is None:
                now = time.monotonic()
                sent = dict.fromkeys(chosen, now)
                await publisher.send_many(self.records_of(list(events), prefix))
            for n, event in enumerate(events if rate is not None else []):
                assert rate is not None
                await asyncio.sleep(max(0.0, schedule + n / rate - time.monotonic()))
                [record] = self.records_of([event], prefix)
                sent[event.employee_id] = time.monotonic()
                await publisher.send_many([record])
            seen = await reading
            load.cancel()
            await reader.stop()
            await publisher.stop()
            return [seen[e] - sent[e] for e in chosen if e in seen]
        finally:
            running.stop()

    async def grown(
        self, base: list[SyntheticPerson], events: list[Event], label: str
    ) -> Throughput:
        """`events` into a projection already holding `base` (hired, half of them enrolled
        and matched into active pairs): the per-event rate once the database has grown."""
        running, prefix = self.start_pairing(500)
        try:
            url = running.services["pairing"].url
            publisher = KafkaPublisher(self.kafka, client_id="bench-hr")
            await publisher.start()
            topic = prefix + HR_EMPLOYEES
            await publisher.send_many(self.records_of([p.hr_event() for p in base], prefix))
            headers = self.stack.auth_headers("bench-manager")
            async with httpx.AsyncClient(base_url=url, timeout=600, headers=headers) as http:
                await until(lambda: self._at_least(http, topic, len(base)), 1200)
                program_id = await open_bench_program(http, auto_accept=True)
                database = f"tandem_pairing_bench{self.runs}"
                await enroll_directly(self.stack, database, program_id, base)
                run = await run_matching(http, program_id, timeout_s=1200)
                drained = time.monotonic()

                await until(lambda: outbox_drained(self.stack, database), 1200)
                console.print(
                    f"grown database: {len(base):,} employees, {run['proposed']:,} pairs "
                    f"(their events relayed in {time.monotonic() - drained:.1f} s)"
                )
                records = self.records_of(events, prefix)
                started = time.monotonic()
                await publisher.send_many(records)
                total = len(base) + len(records)
                first = await until(lambda: self._at_least(http, topic, len(base) + 1))
                done = await until(lambda: self._at_least(http, topic, total), 3600)
            await publisher.stop()
            return Throughput(label, len(records), done - started, first - started)
        finally:
            running.stop()

    async def stream(self, publisher: KafkaPublisher, events: list[Event], prefix: str) -> None:
        """A bulk load alongside the departures: batches of 500 as fast as the broker takes."""
        records = self.records_of(events, prefix)
        for start in range(0, len(records), 500):
            await publisher.send_many(records[start : start + 500])

    async def matched_mentees(
        self, http: httpx.AsyncClient, people: list[SyntheticPerson]
    ) -> list[str]:
        program_id = await open_bench_program(http, auto_accept=True)
        for person in people:
            if person.role is not None:
                reply = await http.post(
                    f"/programs/{program_id}/enrollments", json=person.enrollment_request()
                )
                reply.raise_for_status()
        await run_matching(http, program_id)
        mentees: list[str] = []
        skip = 0
        while True:
            params: dict[str, str | int] = {"state": "active", "limit": 1000, "skip": skip}
            page = (await http.get(f"/programs/{program_id}/pairs", params=params)).json()
            mentees += [p["mentee_id"] for p in page["items"]]
            skip += 1000
            if skip >= page["total"]:
                return sorted(mentees)


class EndedReader:
    """An independent consumer of the pairing topic noting when each PairEnded arrives (it
    polls all the time, concurrently with the departures being sent)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
        )
        self._topic = topic
        self.seen: dict[str, float] = {}

    async def start(self) -> None:
        await self._consumer.start()
        partitions = None
        while partitions is None:
            partitions = self._consumer.partitions_for_topic(self._topic)
            if partitions is None:
                await self._consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
        assigned = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        # From the beginning (Tansu's "latest" offset is unreliable); PairEnded events before
        # the departures start are ignored by the caller's mentee filter.
        await self._consumer.seek_to_beginning(*assigned)

    async def until_ended(self, wanted: set[str], timeout_s: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout_s
        while not wanted <= set(self.seen) and time.monotonic() < deadline:
            batch = await self._consumer.getmany(timeout_ms=50)
            now = time.monotonic()
            for records in batch.values():
                for r in records:
                    event = decode(list(r.headers or ()), r.value).event
                    if isinstance(event, PairEnded) and event.mentee_id not in self.seen:
                        self.seen[event.mentee_id] = now
        return self.seen

    async def stop(self) -> None:
        await self._consumer.stop()


async def insert_many_rates(stack: StackInfo, people: list[SyntheticPerson]) -> list[Throughput]:
    """The same documents the projection stores, written with plain insert_many; and the floor
    of an idempotent projection: those documents plus one inbox marker each, 500 per
    transaction (what any transactional-inbox consumer must write, before reading anything)."""
    client = make_client(MongoSettings(uri=stack.mongo_uri, database="bench_baseline"))
    collection = client["bench_baseline"]["employees"]
    docs = []
    for p in people:
        e = p.hr_event()
        docs.append(
            {
                "_id": e.employee_id,
                "employee_id": e.employee_id,
                "active": True,
                "effective_at": e.effective_at,
                "manager_id": e.manager_id,
                "department": e.department,
                "team": e.team,
                "job_level": e.job_level,
                "birth_year": e.birth_year,
                "languages": list(e.languages),
                "time_zone": e.time_zone,
                "departed_on": None,
            }
        )
    started = time.monotonic()
    first = 0.0
    for start in range(0, len(docs), 1000):
        await collection.insert_many(docs[start : start + 1000], ordered=False)
        first = first or time.monotonic()
    raw = Throughput(
        "raw insert_many (1,000 per call)", len(docs), time.monotonic() - started, first - started
    )
    await client.drop_database("bench_baseline")
    db = client["bench_baseline"]
    started, first = time.monotonic(), 0.0
    for start in range(0, len(docs), 500):
        chunk = docs[start : start + 500]
        async with client.start_session() as session:
            await session.start_transaction()
            await db["employees"].insert_many(chunk, session=session)
            markers = [
                {"_id": f"g|{d['_id']}", "type": "t", "at": d["effective_at"]} for d in chunk
            ]
            await db["inbox"].insert_many(markers, session=session)
            await session.commit_transaction()
        first = first or time.monotonic()
    floor = Throughput(
        "documents + inbox markers, 500 per transaction",
        len(docs),
        time.monotonic() - started,
        first - started,
    )
    await client.drop_database("bench_baseline")
    await client.close()
    return [raw, floor]


def updates_of(people: list[SyntheticPerson], count: int) -> list[Event]:
    events: list[Event] = []
    for n in range(count):
        hired = people[n % len(people)].hr_event()
        fields = hired.model_dump(exclude={"hired_on"})
        fields["job_level"] = min(12, hired.job_level + 1)
        fields["effective_at"] = hired.effective_at.replace(
            year=hired.effective_at.year + 1 + n // len(people)
        )
        events.append(EmployeeUpdated(**fields))
    return events


@app.command()
def main(
    hires: Annotated[int, typer.Option(help="employees hired in the batch run")] = 20_000,
    updates: Annotated[int, typer.Option(help="updates after the hires")] = 5_000,
    per_record: Annotated[int, typer.Option(help="records for the per-record baseline")] = 2_000,
    departures: Annotated[int, typer.Option(help="departures at 10/s, per load case")] = 200,
    company_size: Annotated[
        int, typer.Option(help="company matched before the departures")
    ] = 2_000,
    grown_size: Annotated[
        int, typer.Option(help="employees already stored for the growth comparison")
    ] = 20_000,
    departures_only: Annotated[
        bool, typer.Option(help="only the departure cases, on a stack of their own")
    ] = False,
    growth_only: Annotated[
        bool, typer.Option(help="only the growth comparison, on a stack of its own")
    ] = False,
) -> None:
    console.print(
        f"CPU: {cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}"
    )
    if departures_only:
        with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
            stack = start_stack(Path(tmp) / "stack")
            try:
                latencies = asyncio.run(
                    departure_cases(Bench(stack, Path(tmp)), company_size, departures)
                )
            finally:
                stop_stack(stack)
        report([], latencies)
        return
    if growth_only:
        with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
            stack = start_stack(Path(tmp) / "stack", mongo_cache=GROWTH_CACHE)
            try:
                results = asyncio.run(growth(stack, Path(tmp), grown_size))
            finally:
                stop_stack(stack)
        report(results, {})
        return
    people = company(hires, seed=SEED)
    hr_events: list[Event] = [p.hr_event() for p in people]
    all_events = hr_events + updates_of(people, updates)
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        stack = start_stack(Path(tmp) / "stack")
        try:
            results, latencies = asyncio.run(
                run(
                    stack,
                    Path(tmp),
                    people,
                    all_events,
                    per_record,
                    departures,
                    company_size,
                )
            )
        finally:
            stop_stack(stack)
        # The growth pair on a stack of its own with a larger cache: the embedded database
        # keeps everything in memory, and 20,000 employees with their enrollments, pairs and
        # inbox do not fit the default 256 MB beside the rest.
        stack = start_stack(Path(tmp) / "stack-growth", mongo_cache=GROWTH_CACHE)
        try:
            results += asyncio.run(growth(stack, Path(tmp), grown_size))
        finally:
            stop_stack(stack)
    report(results, latencies)


async def growth(stack: StackInfo, workdir: Path, grown_size: int) -> list[Throughput]:
    bench = Bench(stack, workdir)
    results: list[Throughput] = []
    big = company(grown_size + 2_000, seed=SEED + 2)
    # The new hires manage nobody yet: leaves of the company's tree.
    managers = {p.manager_id for p in big}
    fresh = [p for p in big if p.employee_id not in managers][-2_000:]
    hired_later = {p.employee_id for p in fresh}
    base = [p for p in big if p.employee_id not in hired_later]
    fresh_events: list[Event] = [p.hr_event() for p in fresh] + updates_of(fresh, 2_000)
    results.append(
        await bench.ingest("2,000 hires + 2,000 updates, empty database", fresh_events, 500)
    )
    results.append(
        await bench.grown(
            base,
            fresh_events,
            f"the same, database holding {grown_size:,} employees and their pairs",
        )
    )
    console.print(f"growth: {results[-1].rate / results[-2].rate:.2f}x of the empty rate")
    return results


async def run(
    stack: StackInfo,
    workdir: Path,
    people: list[SyntheticPerson],
    all_events: list[Event],
    per_record: int,
    departures: int,
    company_size: int,
) -> tuple[list[Throughput], dict[str, list[float]]]:
    bench = Bench(stack, workdir)
    results = await insert_many_rates(stack, people)
    console.print(f"baselines done: {results[0].rate:,.0f} and {results[1].rate:,.0f} docs/s")
    results.append(
        await bench.ingest("pairing, one record per transaction", all_events[:per_record], 1)
    )
    console.print(f"per-record done: {results[-1].rate:,.0f} events/s")
    results.append(await bench.ingest("pairing, batches of up to 500", all_events, 500))
    console.print(f"batched done: {results[-1].rate:,.0f} events/s")
    latencies = await departure_cases(bench, company_size, departures)
    return results, latencies


async def departure_cases(
    bench: Bench, company_size: int, departures: int
) -> dict[str, list[float]]:
    matched = company(company_size, seed=SEED + 1)
    return {
        "idle, 10/s": await bench.departures(matched, departures, []),
        "idle, a burst of 300 at once": await bench.departures(matched, 300, [], rate=None),
        "during a bulk load, 10/s": await bench.departures(
            matched, departures, updates_of(matched, 20_000)
        ),
    }


def report(results: list[Throughput], latencies: dict[str, list[float]]) -> None:
    baseline = results[0].rate if results else float("nan")
    table = Table(title="HR ingest into the pairing projection (embedded stack, this machine)")
    for column in (
        "path",
        "records",
        "wall s",
        "first record s",
        "events/s",
        "steady /s",
        "vs insert_many",
    ):
        table.add_column(column, justify="left" if column == "path" else "right")
    for r in results:
        table.add_row(
            r.label,
            f"{r.records:,}",
            f"{r.seconds:.2f}",
            f"{r.first_s:.3f}",
            f"{r.rate:,.0f}",
            f"{r.steady_rate:,.0f}",
            f"{r.rate / baseline:.2f}x",
        )
    console.print(table)
    lat = Table(title="Departure → PairEnded read downstream")
    for column in ("load", "departures", "p50 s", "p99 s", "max s"):
        lat.add_column(column, justify="left" if column == "load" else "right")
    for load, values in latencies.items():
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")
        lat.add_row(
            load,
            f"{len(values)}",
            f"{statistics.median(ordered):.3f}" if ordered else "-",
            f"{p99:.3f}",
            f"{max(ordered):.3f}" if ordered else "-",
        )
    console.print(lat)


if __name__ == "__main__":
    app()
