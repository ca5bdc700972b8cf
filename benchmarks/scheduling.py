"""Scheduling benchmark: placing the series of 50,000 pairs, and consuming PairCreated through
the live scheduling service.

    uv run python benchmarks/scheduling.py                     # 50,000 pairs placed, 5,000 served
    uv run python benchmarks/scheduling.py --pairs 5000 --served 2000

1. Placement (in-process, the domain the service runs): a synthetic company of twice as many
   employees as pairs; mentors with capacity 2 meet two mentees of their own region (as the
   matching engine pairs them: common time); a 26-week weekly program of 45-minute sessions.
   Every pair's whole series is planned against one shared busy calendar (no double-booking),
   in batches of 500 as the consumer does. Figures: wall time, first batch vs steady rate,
   weeks placed and reported unschedulable, and the peak memory of the process (which holds
   the company, the 50,000 events and the calendar of every placed session; the service holds
   one batch's people at a time). Baseline in
   the same run: the same placement with every date converted through `zoneinfo` (the
   reference path the steady-offset arithmetic replaces).
2. Through the service (`python -m tandem_scheduling` as its own process on the embedded
   stack): ProgramOpened plus `--served` PairCreated published on `tandem.pairing.v1`, timed
   from the first record sent until the service's own `/metrics` count every record processed;
   first record vs steady state, and SessionScheduled records on `tandem.scheduling.v1` read
   back by an independent consumer. Baseline in the same run: an aiokafka consumer reading the
   same PairCreated records raw (no decoding, no storage): the broker's consume rate.
"""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import resource
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from measure import Throughput, cpu_model, processed, until
from rich.console import Console
from rich.table import Table

from tandem_contracts import Event, encode
from tandem_contracts.events import PairCreated, PairMember, ProgramOpened
from tandem_contracts.topics import PAIRING, SCHEDULING
from tandem_contracts.values import Availability, ProgramFormat, Weekday, WeeklySlot
from tandem_devkit.embedded import StackInfo, start_stack, stop_stack
from tandem_devkit.services import start_services, wait_ready
from tandem_scheduling.domain.availability import WeeklyWindows, exact_spans
from tandem_scheduling.domain.calendar import BusyCalendar
from tandem_scheduling.domain.series import Person, Series, SeriesPair, new_series
from tandem_scheduling.domain.spans import Span
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, Profile
from tandem_simulation import SyntheticPerson, company

app = typer.Typer(add_completion=False)
console = Console(width=160)
SEED = 11
WEEKS = 26
MINUTES = 45
BATCH = 500
LARGE_CACHE = "1G"
"""The embedded database's default 256 MB cache overflows ("WT_CACHE_FULL") in this run."""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pairs_of(people: list[SyntheticPerson], count: int, starts_on: date) -> list[PairCreated]:
    """Mentors with capacity 2, each with two mentees of their own region (time zone) who share
    one two-hour weekly window with them (as the matching engine pairs people: with common
    time), besides their own windows: both mentees' sessions must fit the mentor's week."""
    by_zone: dict[str, list[SyntheticPerson]] = defaultdict(list)
    for person in people:
        by_zone[person.time_zone].append(person)
    pairs: list[PairCreated] = []
    for zone_people in by_zone.values():
        for first in range(0, len(zone_people) - 2, 3):
            mentor, *mentees = zone_people[first : first + 3]
            n = len(pairs)
            shared = WeeklySlot(
                weekday=Weekday(n % 5), start=clock_time(9 + n % 7), end=clock_time(11 + n % 7)
            )
            for mentee in mentees:
                pairs.append(_pair(len(pairs), mentor, mentee, shared, starts_on))
    return pairs[:count]


def _member(person: SyntheticPerson, shared: WeeklySlot) -> PairMember:
    return PairMember(
        employee_id=person.employee_id,
        enrollment_id=f"en-{person.employee_id}",
        languages=person.languages,
        availability=Availability(time_zone=person.time_zone, slots=(*person.slots, shared)),
    )


def _pair(
    n: int, mentor: SyntheticPerson, mentee: SyntheticPerson, shared: WeeklySlot, starts_on: date
) -> PairCreated:
    return PairCreated(
        pair_id=f"bench-pair-{n}",
        program_id="bench-program",
        mentor=_member(mentor, shared),
        mentee=_member(mentee, shared),
        topics=("ai_tools",),
        cadence_weeks=1,
        session_minutes=MINUTES,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(weeks=WEEKS) - timedelta(days=1),
        score=1.0,
        created_at=datetime.now(UTC),
    )


def series_of(event: PairCreated) -> Series:
    return new_series(
        series_id=event.pair_id,
        program_id=event.program_id,
        format=event.format,
        cadence_weeks=event.cadence_weeks,
        session_minutes=event.session_minutes,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        mentor=Person.model_validate(event.mentor, from_attributes=True),
        pairs=[
            SeriesPair(
                pair_id=event.pair_id,
                mentee=Person.model_validate(event.mentee, from_attributes=True),
            )
        ],
    )


@dataclass
class Placement:
    label: str
    pairs: int
    seconds: float
    first_batch_s: float
    placed: int
    unschedulable: int
    peak_mb: float

    @property
    def rate(self) -> float:
        return self.pairs / self.seconds

    @property
    def steady_rate(self) -> float:
        rest = self.seconds - self.first_batch_s
        return (self.pairs - min(BATCH, self.pairs)) / rest if rest > 0 else float("nan")


@contextmanager
def reference_path_only() -> Iterator[None]:
    """Every date through zoneinfo: the baseline the steady-offset arithmetic is measured by."""
    fast = WeeklyWindows.spans

    def reference(self: WeeklyWindows, first: date, last: date) -> list[Span]:
        return exact_spans(self.availability, first, last)

    WeeklyWindows.spans = reference  # type: ignore[method-assign]
    try:
        yield
    finally:
        WeeklyWindows.spans = fast  # type: ignore[method-assign]


def place_all(label: str, events: list[PairCreated], after: datetime) -> Placement:
    gc.collect()
    calendar = BusyCalendar(timedelta(minutes=10))
    started = time.perf_counter()
    first = 0.0
    placed = unschedulable = 0
    for start in range(0, len(events), BATCH):
        for event in events[start : start + BATCH]:
            series = series_of(event).plan(calendar, after)
            for week in series.planned:
                if week.span is None:
                    unschedulable += 1
                else:
                    placed += 1
        first = first or time.perf_counter() - started
    seconds = time.perf_counter() - started
    return Placement(label, len(events), seconds, first, placed, unschedulable, peak_rss_mb())


async def raw_consume(bootstrap: str, topic: str, count: int) -> Throughput:
    """The broker's consume rate for the same records: read, nothing else."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        while partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        started = time.monotonic()
        seen, first = 0, 0.0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            seen += sum(len(records) for records in batch.values())
            if seen and not first:
                first = time.monotonic() - started
        return Throughput(
            "broker raw consume (aiokafka, no processing)", seen, time.monotonic() - started, first
        )
    finally:
        await consumer.stop()


async def serve(stack: StackInfo, workdir: Path, events: list[PairCreated]) -> list[Throughput]:
    prefix = "benchsch."
    running = start_services(
        stack,
        workdir,
        names=("scheduling",),
        topic_prefix=prefix,
        database_suffix="_bench",
        extra_env={"TANDEM_SCHEDULING_LOG_LEVEL": "WARNING"},
    )
    try:
        wait_ready(running, timeout_s=120)
        kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED)
        opened = ProgramOpened(
            program_id="bench-program",
            name="Bench",
            starts_on=events[0].starts_on,
            ends_on=events[0].ends_on,
            duration_weeks=WEEKS,
            cadence_weeks=1,
            session_minutes=MINUTES,
            format=ProgramFormat.ONE_TO_ONE,
            topics=("ai_tools",),
            opened_at=datetime.now(UTC),
        )
        all_events: list[Event] = [opened, *events]
        records = [
            ProducerRecord.of(encode(e, source="/tandem/pairing"), prefix) for e in all_events
        ]
        publisher = KafkaPublisher(kafka, client_id="bench-pairing")
        await publisher.start()
        topic = prefix + PAIRING
        async with httpx.AsyncClient(
            base_url=running.services["scheduling"].url, timeout=60
        ) as http:
            started = time.monotonic()
            for start in range(0, len(records), 5000):
                await publisher.send_many(records[start : start + 5000])
            first = await until(lambda: _at_least(http, topic, 2))
            done = await until(lambda: _at_least(http, topic, len(records)))
        await publisher.stop()
        service = Throughput(
            "scheduling service (plan, store, publish horizon)",
            len(records),
            done - started,
            first - started,
        )
        raw = await raw_consume(stack.kafka_bootstrap, topic, len(records))
        published = await count_records(stack.kafka_bootstrap, prefix + SCHEDULING)
        console.print(f"records on {SCHEDULING}: {published:,} (SessionScheduled and reports)")
        return [raw, service]
    finally:
        running.stop()


async def _at_least(http: httpx.AsyncClient, topic: str, n: int) -> bool:
    return await processed(http, topic) >= n


async def count_records(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        while partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        ends = await consumer.end_offsets(assigned)
        starts = await consumer.beginning_offsets(assigned)
        return sum(ends[p] - starts[p] for p in assigned)
    finally:
        await consumer.stop()


@app.command()
def main(
    pairs: Annotated[int, typer.Option(help="pairs placed in-process")] = 50_000,
    served: Annotated[int, typer.Option(help="PairCreated consumed by the live service")] = 5_000,
    baseline_pairs: Annotated[
        int, typer.Option(help="pairs for the zoneinfo-only baseline")
    ] = 5_000,
) -> None:
    console.print(
        f"CPU: {cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}"
    )
    starts_on = datetime.now(UTC).date()
    people = company(2 * pairs, seed=SEED)
    events = pairs_of(people, pairs, starts_on)
    console.print(
        f"{len(events):,} pairs of {len(people):,} employees, {WEEKS} weekly sessions each"
    )
    after = datetime.now(UTC)
    before_mb = peak_rss_mb()
    results = [place_all("placement (steady-offset arithmetic)", events, after)]
    with reference_path_only():
        results.insert(
            0, place_all("baseline: every date through zoneinfo", events[:baseline_pairs], after)
        )
    report_placement(results, before_mb)
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        stack = start_stack(Path(tmp) / "stack", mongo_cache=LARGE_CACHE)
        try:
            figures = asyncio.run(serve(stack, Path(tmp), events[:served]))
        finally:
            stop_stack(stack)
    report_service(figures)


def report_placement(results: list[Placement], before_mb: float) -> None:
    table = Table(
        title=f"Placing whole series ({WEEKS} weeks, {MINUTES} min, mentors with 2 mentees)"
    )
    for column in (
        "path",
        "pairs",
        "wall s",
        f"first {BATCH} s",
        "pairs/s",
        "steady /s",
        "weeks placed",
        "unschedulable",
        "peak RSS MB",
    ):
        table.add_column(column, justify="left" if column == "path" else "right")
    for r in results:
        table.add_row(
            r.label,
            f"{r.pairs:,}",
            f"{r.seconds:.1f}",
            f"{r.first_batch_s:.2f}",
            f"{r.rate:,.0f}",
            f"{r.steady_rate:,.0f}",
            f"{r.placed:,}",
            f"{r.unschedulable:,}",
            f"{r.peak_mb:,.0f}",
        )
    console.print(table)
    console.print(f"process RSS before placing: {before_mb:,.0f} MB")


def report_service(figures: list[Throughput]) -> None:
    baseline = figures[0].rate
    table = Table(title="PairCreated through the live scheduling service (embedded stack)")
    for column in (
        "path",
        "records",
        "wall s",
        "first record s",
        "records/s",
        "steady /s",
        "vs raw consume",
    ):
        table.add_column(column, justify="left" if column == "path" else "right")
    for r in figures:
        table.add_row(
            r.label,
            f"{r.records:,}",
            f"{r.seconds:.2f}",
            f"{r.first_s:.3f}",
            f"{r.rate:,.0f}",
            f"{r.steady_rate:,.0f}",
            f"{r.rate / baseline:.3f}x",
        )
    console.print(table)


if __name__ == "__main__":
    app()
