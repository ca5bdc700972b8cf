"""Metrics ingest benchmark: how fast the metrics service turns a mixed event stream into facts.

    uv run python benchmarks/metrics.py                  # 200,000 events
    uv run python benchmarks/metrics.py --events 20000

Everything runs on the embedded stack, started for the run, with the metrics service as its own
process (`python -m tandem_metrics`), fed over Kafka as the other services would feed it: HR
hires, programs, enrollments, pairs, and per pair weekly sessions scheduled and held with both
sides' feedback requested and given, some surveys and assessments. Measured in the same run:

1. Raw broker consume: a plain aiokafka consumer (no group, no processing) reading every record
   of the four topics: what the broker can hand out.
2. Raw database bulk write: the same number of upserts (`UpdateOne(..., upsert=True)` in ordered
   bulk writes of 500, no transaction) into a scratch collection: what the database can take.
3. The service: all events published first, then the service started; timed from its start
   until its own `/metrics` count every record processed (first record vs steady state),
   consuming the four topics in batches of up to 500 with one transaction per batch.
"""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from measure import Throughput, cpu_model, processed, until
from pymongo import UpdateOne
from rich.console import Console
from rich.table import Table

from tandem_contracts import Event, encode
from tandem_contracts import events as ev
from tandem_contracts.examples import BERLIN_MORNINGS
from tandem_contracts.topics import FEEDBACK, HR_EMPLOYEES, PAIRING, SCHEDULING
from tandem_contracts.values import ProgramFormat, Role
from tandem_devkit.embedded import StackInfo, start_stack, stop_stack
from tandem_devkit.services import start_services, wait_ready
from tandem_servicekit.mongo import make_client
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, MongoSettings, Profile

app = typer.Typer(add_completion=False)
console = Console(width=160)
TOPICS = (HR_EMPLOYEES, PAIRING, SCHEDULING, FEEDBACK)
T0 = datetime(2027, 1, 4, tzinfo=UTC)
PROGRAMS = 10
WEEKS = 8
LARGE_CACHE = "1G"
"""The embedded database's default 256 MB cache overflows ("WT_CACHE_FULL") near 190,000
events in this run (seen: every later transaction failed)."""


def member(employee_id: str) -> ev.PairMember:
    return ev.PairMember(
        employee_id=employee_id,
        enrollment_id=f"en-{employee_id}",
        languages=("en",),
        availability=BERLIN_MORNINGS,
    )


def mixed_events(total: int) -> list[Event]:
    """About `total` events: per pair 2 hires, 2 enrollments, a PairCreated, and per week a
    session scheduled and held, feedback requested and given by both sides (5 + 5 per week)."""
    per_pair = 5 + WEEKS * 5 + 2
    pairs = max(total // per_pair, 1)
    events: list[Event] = [
        ev.ProgramOpened(
            program_id=f"prog-{p}",
            name="Bench",
            starts_on=date(2027, 1, 4),
            ends_on=date(2027, 1, 4) + timedelta(weeks=26),
            duration_weeks=26,
            cadence_weeks=1,
            session_minutes=45,
            format=ProgramFormat.ONE_TO_ONE,
            topics=("ai",),
            manager_ids=("pm",),
            opened_at=T0,
        )
        for p in range(PROGRAMS)
    ]
    for n in range(pairs):
        program, pair = f"prog-{n % PROGRAMS}", f"pair-{n}"
        mentor, mentee = f"e-{2 * n}", f"e-{2 * n + 1}"
        for person, role in ((mentor, Role.MENTOR), (mentee, Role.MENTEE)):
            events.append(
                ev.EmployeeHired(
                    employee_id=person,
                    department="D",
                    job_level=3,
                    languages=("en",),
                    time_zone="UTC",
                    hired_on=date(2020, 1, 1),
                    effective_at=T0,
                )
            )
            events.append(
                ev.ParticipantEnrolled(
                    program_id=program,
                    enrollment_id=f"en-{person}",
                    employee_id=person,
                    role=role,
                    expertise=(ev.TopicExpertise(topic="ai", level=3),)
                    if role is Role.MENTOR
                    else (),
                    goals=(ev.TopicGoal(topic="ai", priority=3),) if role is Role.MENTEE else (),
                    languages=("en",),
                    availability=BERLIN_MORNINGS,
                    enrolled_at=T0,
                )
            )
        events.append(
            ev.PairCreated(
                pair_id=pair,
                program_id=program,
                mentor=member(mentor),
                mentee=member(mentee),
                topics=("ai",),
                cadence_weeks=1,
                session_minutes=45,
                starts_on=date(2027, 1, 4),
                ends_on=date(2027, 7, 4),
                score=0.5,
                created_at=T0,
            )
        )
        for week in range(WEEKS):
            at = T0 + timedelta(weeks=week, hours=9)
            ids = {"session_id": f"{pair}-s{week}", "pair_id": pair, "program_id": program}
            events.append(
                ev.SessionScheduled(
                    **ids, starts_at=at, ends_at=at + timedelta(minutes=45), sequence=week + 1
                )
            )
            events.append(ev.SessionHeld(**ids, held_at=at, duration_minutes=45))
            events.append(
                ev.FeedbackRequested(
                    **ids,
                    mentor_id=mentor,
                    mentee_id=mentee,
                    held_at=at,
                    remind_at=at,
                    requested_at=at,
                )
            )
            for side in Role:
                events.append(
                    ev.FeedbackSubmitted(
                        pair_id=pair,
                        program_id=program,
                        feedback_id=f"{pair}-{week}-{side.value}",
                        session_id=ids["session_id"],
                        author_role=side,
                        rating=4,
                        usefulness=4,
                        submitted_at=at,
                    )
                )
    return events


async def raw_consume(kafka: KafkaSettings, prefix: str, expected: int) -> Throughput:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = []
        for topic in TOPICS:
            ids = consumer.partitions_for_topic(prefix + topic)
            while not ids:
                await consumer._client.force_metadata_update()
                ids = consumer.partitions_for_topic(prefix + topic)
            partitions += [TopicPartition(prefix + topic, p) for p in ids]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started = time.monotonic()
        seen, first = 0, 0.0
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            seen += sum(len(r) for r in batch.values())
            if seen and not first:
                first = time.monotonic() - started
        return Throughput(
            "raw broker consume (aiokafka, no group)", seen, time.monotonic() - started, first
        )
    finally:
        await consumer.stop()


async def raw_bulk_write(stack: StackInfo, count: int) -> Throughput:
    client = make_client(MongoSettings(uri=stack.mongo_uri))
    scratch = client["bench_raw"]["facts"]
    started = time.monotonic()
    first = 0.0
    for start in range(0, count, 500):
        ops = [
            UpdateOne({"_id": f"k{n}"}, {"$set": {"program_id": "p", "n": n}}, upsert=True)
            for n in range(start, min(start + 500, count))
        ]
        await scratch.bulk_write(ops, ordered=True)
        if not first:
            first = time.monotonic() - started
    elapsed = time.monotonic() - started
    await client.drop_database("bench_raw")
    await client.close()
    return Throughput("raw database upserts (bulk of 500, no transaction)", count, elapsed, first)


async def service_ingest(
    stack: StackInfo, workdir: Path, kafka: KafkaSettings, prefix: str, expected: int
) -> Throughput:
    running = start_services(
        stack,
        workdir,
        names=("metrics",),
        topic_prefix=prefix,
        database_suffix="_bench",
        extra_env={
            "TANDEM_METRICS_LOG_LEVEL": "WARNING",
            "TANDEM_METRICS_RULES__REFRESH_S": "3600",
        },
    )
    started = time.monotonic()
    try:
        wait_ready(running, timeout_s=120)
        url = running.services["metrics"].url
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:

            async def counted() -> float:
                return sum([await processed(http, prefix + t) for t in TOPICS])

            async def at_least(n: int) -> bool:
                return await counted() >= n

            first = await until(lambda: at_least(1))
            done = await until(lambda: at_least(expected), 3600)
        return Throughput(
            "metrics service (batches of up to 500)", expected, done - started, first - started
        )
    finally:
        running.stop()


async def run(stack: StackInfo, workdir: Path, total: int) -> list[Throughput]:
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED)
    prefix = "mbench."
    events = mixed_events(total)
    console.print(f"{len(events):,} events generated; publishing …")
    publisher = KafkaPublisher(kafka, client_id="bench-producer")
    await publisher.start()
    records = [ProducerRecord.of(encode(e, source="/bench"), prefix) for e in events]
    for start in range(0, len(records), 5000):
        await publisher.send_many(records[start : start + 5000])
    await publisher.stop()
    results = [await raw_consume(kafka, prefix, len(records))]
    results.append(await raw_bulk_write(stack, len(records)))
    results.append(await service_ingest(stack, workdir, kafka, prefix, len(records)))
    return results


@app.command()
def main(
    events: Annotated[int, typer.Option(help="mixed events to ingest")] = 200_000,
) -> None:
    console.print(
        f"CPU: {cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        stack = start_stack(Path(tmp) / "stack", mongo_cache=LARGE_CACHE)
        try:
            results = asyncio.run(run(stack, Path(tmp), events))
        finally:
            stop_stack(stack)
    table = Table(title="Events into the metrics projection (embedded stack, this machine)")
    for column in ("path", "records", "wall s", "first s", "per s", "steady /s", "vs raw consume"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for r in results:
        table.add_row(
            r.label,
            f"{r.records:,}",
            f"{r.seconds:.2f}",
            f"{r.first_s:.3f}",
            f"{r.rate:,.0f}",
            f"{r.steady_rate:,.0f}",
            f"{r.rate / results[0].rate:.2f}x",
        )
    console.print(table)


if __name__ == "__main__":
    app()
