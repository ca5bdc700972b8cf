"""Fixtures: the pairing service in-process on the real embedded broker and database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from tandem_contracts import Event, encode
from tandem_contracts.events import EmployeeHired
from tandem_contracts.topics import HR_EMPLOYEES, PAIRING
from tandem_devkit.embedded import StackInfo
from tandem_pairing.adapters.unit_of_work import PairingUnitOfWork
from tandem_pairing.bootstrap import build_app
from tandem_pairing.settings import PairingSettings
from tandem_servicekit.publisher import KafkaPublisher
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.settings import KafkaSettings, MongoSettings, Profile, RetrySettings
from tandem_servicekit.testing import ReadRecord, read_topic

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Pairing:
    http: httpx.AsyncClient
    runtime: ServiceRuntime[PairingUnitOfWork]
    settings: PairingSettings
    hr: KafkaPublisher

    async def publish_hr(self, *events: Event, event_id: str | None = None) -> list[str]:
        ids = []
        for event in events:
            record = encode(event, source="/hr/workday", event_id=event_id)
            await self.hr.send(
                self.settings.kafka.topic(HR_EMPLOYEES),
                key=record.key,
                value=record.value,
                headers=record.headers,
            )
            ids.append(record.meta.id)
        return ids

    async def pairing_events(self, at_least: int, timeout_s: float = 15.0) -> list[ReadRecord]:
        return await read_topic(
            self.settings.kafka.bootstrap_servers,
            self.settings.kafka.topic(PAIRING),
            at_least=at_least,
            timeout_s=timeout_s,
        )

    async def events_of_type(
        self, suffix: str, at_least: int, timeout_s: float = 15.0
    ) -> list[ReadRecord]:
        deadline = time.monotonic() + timeout_s
        while True:
            everything = await self.pairing_events(at_least=0)
            found = [r for r in everything if r.headers["ce_type"].decode().endswith(suffix)]
            if len(found) >= at_least or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.1)


@pytest.fixture
async def pairing(embedded_stack: StackInfo, unique: str) -> AsyncIterator[Pairing]:
    settings = PairingSettings(
        kafka=KafkaSettings(
            bootstrap_servers=embedded_stack.kafka_bootstrap,
            profile=Profile.EMBEDDED,
            topic_prefix=f"p{unique}.",
        ),
        mongo=MongoSettings(uri=embedded_stack.mongo_uri, database=f"pairing_{unique}"),
        retry=RetrySettings(initial_delay_s=0.01, max_delay_s=0.05),
    )
    app = build_app(settings)
    runtime: ServiceRuntime[PairingUnitOfWork] = app.state.runtime
    await runtime.start()
    hr = KafkaPublisher(settings.kafka, client_id="hr-system")
    await hr.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://pairing"
        ) as http:
            yield Pairing(http, runtime, settings, hr)
    finally:
        await hr.stop()
        await runtime.stop()


def hired(
    employee_id: str,
    level: int,
    *,
    manager: str | None = None,
    department: str = "Sales",
    at: datetime = T0,
    languages: tuple[str, ...] = ("en",),
    team: str | None = None,
) -> EmployeeHired:
    return EmployeeHired(
        employee_id=employee_id,
        manager_id=manager,
        department=department,
        team=team,
        job_level=level,
        birth_year=2000 - 2 * level,
        languages=languages,
        time_zone="Europe/Berlin",
        hired_on=date(2020, 1, 1),
        effective_at=at,
    )


MORNINGS = {
    "time_zone": "Europe/Berlin",
    "slots": [{"weekday": d, "start": "09:00", "end": "11:00"} for d in range(5)],
}


def program_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Digital Leadership 2027",
        "starts_on": "2027-01-11",
        "ends_on": "2027-07-09",
        "duration_weeks": 26,
        "session_minutes": 45,
        "topics": ["ai_tools", "social_media", "agile"],
        "auto_accept": True,
    }
    body.update(changes)
    return body


async def wait_until(check: Callable[[], Awaitable[bool]], timeout_s: float = 15.0) -> float:
    """Seconds until `check` held; fails after the timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def known(pairing: Pairing, *employee_ids: str) -> None:
    async def all_there() -> bool:
        for e in employee_ids:
            if (await pairing.http.get(f"/employees/{e}")).status_code != 200:
                return False
        return True

    await wait_until(all_there)


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
