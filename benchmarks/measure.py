"""What every benchmark here shares: the machine it ran on, throughput figures, reading a live
service's own count of the records it processed, and enrolling a company without HTTP."""

from __future__ import annotations

import asyncio
import platform
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tandem_devkit.embedded import StackInfo
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.service.commands import Enroll
from tandem_servicekit.clock import SystemClock
from tandem_servicekit.mongo import make_client
from tandem_servicekit.repository import to_document
from tandem_servicekit.settings import MongoSettings
from tandem_simulation import TOPIC_NAMES, SyntheticPerson


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class Throughput:
    """Records handled in `seconds`, the first after `first_s` (first-call vs steady state)."""

    label: str
    records: int
    seconds: float
    first_s: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def steady_rate(self) -> float:
        rest = self.seconds - self.first_s
        return (self.records - 1) / rest if rest > 0 else float("nan")


async def until(check: Callable[[], Awaitable[bool]], timeout_s: float = 3600) -> float:
    """Poll `check` every 50 ms; the monotonic time it first held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return time.monotonic()
        await asyncio.sleep(0.05)
    raise TimeoutError("the service did not get there in time")


async def outbox_drained(stack: StackInfo, database: str) -> bool:
    """Whether the service's outbox relay has published everything committed so far."""
    client = make_client(MongoSettings(uri=stack.mongo_uri, database=database))
    try:
        return await client[database]["outbox"].count_documents({"published_at": None}) == 0
    finally:
        await client.close()


async def processed(http: httpx.AsyncClient, topic: str) -> float:
    """Records of `topic` the service counts as processed (or skipped as duplicates), from its
    own `/metrics`."""
    total = 0.0
    for line in (await http.get("/metrics")).text.splitlines():
        counted = 'outcome="processed"' in line or 'outcome="duplicate"' in line
        if line.startswith("tandem_consumer_records_total{") and counted:
            total += float(line.rsplit(" ", 1)[1]) if f'topic="{topic}"' in line else 0.0
    return total


def enrollment_of(person: SyntheticPerson, program_id: str, n: int) -> Enrollment:
    """What `POST .../enrollments` stores for this person (the same validation first)."""
    cmd = Enroll.model_validate(person.enrollment_request())
    mentor = person.role is not None and person.role.value == "mentor"
    assert person.role is not None
    return Enrollment.create(
        enrollment_id=f"enr-bench-{n:07d}",
        program_id=program_id,
        employee_id=person.employee_id,
        role=person.role,
        expertise=tuple(cmd.expertise) if mentor else (),
        goals=() if mentor else tuple(cmd.goals),
        languages=tuple(cmd.languages),
        availability=cmd.availability,
        capacity=cmd.capacity if mentor else 1,
        avoid_employee_ids=(),
        preferred_employee_ids=(),
        enrolled_at=SystemClock().now(),
    )


async def enroll_directly(  # set-up only: what is measured goes through the service
    stack: StackInfo, database: str, program_id: str, people: list[SyntheticPerson]
) -> int:
    client = make_client(MongoSettings(uri=stack.mongo_uri, database=database))
    docs = [
        to_document(enrollment_of(p, program_id, n), "enrollment_id")
        for n, p in enumerate(people)
        if p.role is not None
    ]
    for start in range(0, len(docs), 1000):
        await client[database]["enrollments"].insert_many(docs[start : start + 1000])
    await client.close()
    return len(docs)


async def open_bench_program(http: httpx.AsyncClient, *, auto_accept: bool) -> str:
    program = {
        "name": "Bench",
        "starts_on": "2027-01-11",
        "ends_on": "2027-07-09",
        "duration_weeks": 26,
        "session_minutes": 45,
        "topics": list(TOPIC_NAMES),
        "mentor_capacity": 2,
        "auto_accept": auto_accept,
    }
    program_id: str = (await http.post("/programs", json=program)).json()["program_id"]
    (await http.post(f"/programs/{program_id}/open")).raise_for_status()
    return program_id
