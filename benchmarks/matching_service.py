"""Matching through the service: what a program manager waits for, against the engine alone.

    uv run python benchmarks/matching_service.py                   # 10,000 employees
    uv run python benchmarks/matching_service.py --size 100000     # 100,000 employees

Everything runs on the embedded stack started for the run, with the pairing service as its own
process (`python -m tandem_pairing`, as deployed):

1. The company's HR feed goes over Kafka into the service's projection (as an HR system would
   send it); then half the company enrolls as mentees and a quarter as mentors. Enrollments are
   written straight into the service's database as the enrollment endpoint stores them (at 100k,
   75,000 HTTP requests would dominate the set-up; the run is what is measured).
2. Engine alone, in this process: the service's own snapshot code reads the program, then the
   engine computes (first call, then a second one on the same input).
3. Through HTTP, twice: `POST /programs/{id}/matching-runs`, then polling the run until it is
   `proposed` (the second run supersedes the first run's proposals: the same work again). The
   run reports its engine seconds; the rest is snapshot, staging and publication.

The goal (issue 13): a 10,000-employee run within 2x the engine's own time + 5 s.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import numba
import typer
from measure import cpu_model, enroll_directly, open_bench_program, processed, until
from rich.console import Console
from rich.table import Table

from tandem_contracts import encode
from tandem_contracts.topics import HR_EMPLOYEES
from tandem_devkit.embedded import StackInfo, start_stack, stop_stack
from tandem_devkit.runs import wait_for_run
from tandem_devkit.services import start_services, wait_ready
from tandem_pairing.adapters.unit_of_work import MongoPairingUnitOfWork
from tandem_pairing.domain.matching import match
from tandem_pairing.domain.runs import MatchingRun
from tandem_pairing.service.matching_runs import take_snapshot
from tandem_servicekit.clock import SystemClock
from tandem_servicekit.mongo import make_client
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, MongoSettings, Profile
from tandem_simulation import SyntheticPerson, company

app = typer.Typer(add_completion=False)
console = Console(width=160)
SEED = 7


async def load_company(
    stack: StackInfo, http: httpx.AsyncClient, people: list[SyntheticPerson], prefix: str
) -> None:
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED)
    publisher = KafkaPublisher(kafka, client_id="bench-hr")
    await publisher.start()
    records = [ProducerRecord.of(encode(p.hr_event(), source="/hr/bench"), prefix) for p in people]
    await publisher.send_many(records)
    await publisher.stop()

    async def all_in() -> bool:
        return await processed(http, prefix + HR_EMPLOYEES) >= len(records)

    await until(all_in, 1800)


async def engine_alone(stack: StackInfo, database: str, run: MatchingRun) -> dict[str, float]:
    """The service's snapshot code, then the engine twice on the same input."""
    client = make_client(MongoSettings(uri=stack.mongo_uri, database=database))
    started = time.perf_counter()
    async with MongoPairingUnitOfWork(
        client, database, source="/bench", clock=SystemClock()
    ) as uow:
        snapshot = await take_snapshot(run, uow)
    loaded = time.perf_counter() - started
    await client.close()
    times = []
    for _ in range(2):
        started = time.perf_counter()
        result = match(snapshot.problem)
        times.append(time.perf_counter() - started)
    return {
        "snapshot_s": loaded,
        "engine_first_s": times[0],
        "engine_second_s": times[1],
        "pairs": float(len(result.pairs)),
    }


async def through_http(http: httpx.AsyncClient, program_id: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    queued = await http.post(f"/programs/{program_id}/matching-runs")
    queued.raise_for_status()
    run = await wait_for_run(http, queued.json()["run_id"], timeout_s=1800, poll_s=0.1)
    if run["status"] != "proposed":
        raise RuntimeError(f"run failed: {run['failure']}")
    return time.perf_counter() - started, run


async def bench(stack: StackInfo, workdir: Path, size: int, auto_accept: bool) -> dict[str, Any]:
    people = company(size, seed=SEED)
    database = f"tandem_pairing_bench{size}"
    running = start_services(
        stack,
        workdir,
        names=("pairing",),
        topic_prefix=f"bench{size}.",
        database_suffix=f"_bench{size}",
        extra_env={"TANDEM_PAIRING_LOG_LEVEL": "WARNING"},
    )
    try:
        wait_ready(running, timeout_s=180)
        service = running.services["pairing"]
        headers = stack.auth_headers("bench-manager")
        async with httpx.AsyncClient(base_url=service.url, timeout=600, headers=headers) as http:
            started = time.perf_counter()
            await load_company(stack, http, people, f"bench{size}.")
            console.print(f"{size:,} employees projected in {time.perf_counter() - started:.1f} s")
            program_id = await open_bench_program(http, auto_accept=auto_accept)
            enrolled = await enroll_directly(stack, database, program_id, people)
            first_s, first = await through_http(http, program_id)
            console.print(f"first run through HTTP: {first_s:.2f} s")
            second_s, second = await through_http(http, program_id)
            console.print(f"second run through HTTP: {second_s:.2f} s")
        alone = await engine_alone(stack, database, MatchingRun.model_validate(second))
        return {
            "size": size,
            "enrolled": enrolled,
            "first_s": first_s,
            "second_s": second_s,
            "first": first,
            "second": second,
            **alone,
        }
    finally:
        running.stop()


def report(rows: list[dict[str, Any]]) -> None:
    console.print(
        f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs, numba threads "
        f"{numba.get_num_threads()}), Python {platform.python_version()}"
    )
    table = Table(title="Matching through the pairing service's HTTP API (embedded stack)")
    for column in (
        "employees",
        "enrolled",
        "snapshot s",
        "engine 1st s",
        "engine 2nd s",
        "HTTP run 1st s",
        "HTTP run 2nd s",
        "run: snapshot s",
        "run: engine s",
        "run: writing s",
        "goal s (2x engine+5)",
        "pairs",
        "certified",
        "gap",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        run = r["second"]
        in_run = run["scoring_seconds"] + run["solving_seconds"]
        goal = 2 * r["engine_second_s"] + 5
        table.add_row(
            f"{r['size']:,}",
            f"{r['enrolled']:,}",
            f"{r['snapshot_s']:.2f}",
            f"{r['engine_first_s']:.2f}",
            f"{r['engine_second_s']:.2f}",
            f"{r['first_s']:.2f}",
            f"{r['second_s']:.2f}",
            f"{run['snapshot_seconds']:.2f}",
            f"{in_run:.2f}",
            f"{run['writing_seconds']:.2f}",
            f"{goal:.2f}",
            f"{run['proposed']:,}",
            "yes" if run["certified_optimal"] else "no",
            "-" if run["optimality_gap"] is None else f"{run['optimality_gap']:.5%}",
        )
    console.print(table)


@app.command()
def main(
    size: Annotated[list[int] | None, typer.Option(help="company sizes (repeatable)")] = None,
    auto_accept: Annotated[bool, typer.Option(help="pairs active at once (events)")] = False,
    mongo_cache: Annotated[str, typer.Option(help="embedded database cache")] = "2G",
    keep_log: Annotated[Path | None, typer.Option(help="copy the service's log here")] = None,
) -> None:
    sizes = size or [10_000]
    rows = []
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        stack = start_stack(Path(tmp) / "stack", mongo_cache=mongo_cache)
        try:
            for n in sizes:
                rows.append(asyncio.run(bench(stack, Path(tmp), n, auto_accept)))
        finally:
            stop_stack(stack)
            if keep_log is not None:
                shutil.copy(Path(tmp) / "pairing.log", keep_log)
    report(rows)


if __name__ == "__main__":
    app()
