"""Fixtures: the pairing service in-process on the real embedded broker and database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from tandem_contracts import Event
from tandem_contracts.events import EmployeeHired
from tandem_contracts.topics import PAIRING
from tandem_devkit.embedded import StackInfo
from tandem_devkit.harness import ServiceHarness, running_service, service_settings
from tandem_pairing.bootstrap import build_app
from tandem_pairing.settings import PairingSettings
from tandem_servicekit.testing import ReadRecord, wait_until

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Pairing(ServiceHarness):
    """The pairing service in-process; HR events go to `hr.employees.v1`. `http` speaks as a
    program manager (who creates, so manages, the tests' programs) holding every role."""

    stack: StackInfo | None = None

    def as_participant(self, employee_id: str) -> dict[str, str]:
        """Headers to speak as `employee_id` with only the participant role."""
        assert self.stack is not None
        return self.stack.auth_headers(employee_id, ["participant"])

    async def publish_hr(self, *events: Event, event_id: str | None = None) -> list[str]:
        return await self.publish(*events, event_id=event_id)

    async def pairing_events_of_type(
        self, suffix: str, at_least: int, timeout_s: float = 15.0
    ) -> list[ReadRecord]:
        return await self.events_of_type(PAIRING, suffix, at_least, timeout_s)


@pytest.fixture
async def pairing(embedded_stack: StackInfo, unique: str) -> AsyncIterator[Pairing]:
    settings = service_settings(PairingSettings, embedded_stack, unique)
    async with running_service(build_app, settings, embedded_stack.auth_headers()) as harness:
        yield Pairing(**vars(harness), stack=embedded_stack)


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


async def known(pairing: Pairing, *employee_ids: str) -> None:
    async def all_there() -> bool:
        for e in employee_ids:
            if (await pairing.http.get(f"/employees/{e}")).status_code != 200:
                return False
        return True

    await wait_until(all_there)


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
