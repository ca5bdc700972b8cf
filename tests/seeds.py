"""Events the platform tests publish as pairing would: a program and one pair in it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from tandem_contracts import Event
from tandem_contracts.events import PairCreated, PairMember, ProgramOpened
from tandem_contracts.examples import AT
from tandem_contracts.values import Availability, ProgramFormat, WeeklySlot

ALL_DAY = Availability(
    time_zone="UTC",
    slots=tuple(WeeklySlot(weekday=d, start=time(0), end=time(23, 59)) for d in range(7)),
)


def program_and_pair(
    *,
    program_id: str,
    pair_id: str,
    manager: str,
    mentor: str,
    mentee: str,
    starts_on: date,
    weeks: int,
    created_at: datetime = AT,
) -> list[Event]:
    """A one-to-one program on `ai_tools` that `manager` manages, 30-minute weekly sessions,
    and a pair of `mentor` and `mentee` available all week."""
    ends_on = starts_on + timedelta(weeks=weeks)
    member = {"languages": ("en",), "availability": ALL_DAY}
    return [
        ProgramOpened(
            program_id=program_id,
            name="Platform test",
            starts_on=starts_on,
            ends_on=ends_on,
            duration_weeks=weeks,
            cadence_weeks=1,
            session_minutes=30,
            format=ProgramFormat.ONE_TO_ONE,
            topics=("ai_tools",),
            manager_ids=(manager,),
            opened_at=AT,
        ),
        PairCreated(
            pair_id=pair_id,
            program_id=program_id,
            mentor=PairMember(employee_id=mentor, enrollment_id=f"en-{mentor}", **member),
            mentee=PairMember(employee_id=mentee, enrollment_id=f"en-{mentee}", **member),
            topics=("ai_tools",),
            cadence_weeks=1,
            session_minutes=30,
            starts_on=starts_on,
            ends_on=ends_on,
            score=1.0,
            created_at=created_at,
        ),
    ]
