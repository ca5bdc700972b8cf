"""Events and callers the feedback tests share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tandem_contracts.events import (
    PairCreated,
    PairEnded,
    PairEndReason,
    PairMember,
    ProgramOpened,
    SessionHeld,
)
from tandem_contracts.examples import BERLIN_MORNINGS
from tandem_contracts.values import ProgramFormat
from tandem_servicekit.auth import OPS, PARTICIPANT, PROGRAM_MANAGER, Principal

NOW = datetime(2027, 1, 11, 9, tzinfo=UTC)  # a Monday: the program's first day
STARTS = date(2027, 1, 11)
ENDS = date(2027, 7, 9)  # 26 weeks
PM = Principal("pm", frozenset({PROGRAM_MANAGER}))
OTHER_PM = Principal("pm-2", frozenset({PROGRAM_MANAGER}))
OPS_CALLER = Principal("ops", frozenset({OPS}))


def me(employee_id: str) -> Principal:
    return Principal(employee_id, frozenset({PARTICIPANT}))


def opened(program_id: str = "prog", **fields: Any) -> ProgramOpened:
    values: dict[str, Any] = {
        "program_id": program_id,
        "name": "Digital Leadership",
        "starts_on": STARTS,
        "ends_on": ENDS,
        "duration_weeks": 26,
        "cadence_weeks": 1,
        "session_minutes": 45,
        "format": ProgramFormat.ONE_TO_ONE,
        "topics": ("ai_tools", "social_media"),
        "manager_ids": ("pm",),
        "opened_at": NOW - timedelta(days=7),
    }
    return ProgramOpened(**{**values, **fields})


def member(employee_id: str) -> PairMember:
    return PairMember(
        employee_id=employee_id,
        enrollment_id=f"en-{employee_id}",
        languages=("en",),
        availability=BERLIN_MORNINGS,
    )


def pair_created(
    pair_id: str = "p1",
    mentor: str = "mentor",
    mentee: str = "mentee",
    *,
    program_id: str = "prog",
    topics: tuple[str, ...] = ("ai_tools", "social_media"),
    **fields: Any,
) -> PairCreated:
    values: dict[str, Any] = {
        "pair_id": pair_id,
        "program_id": program_id,
        "mentor": member(mentor),
        "mentee": member(mentee),
        "topics": topics,
        "cadence_weeks": 1,
        "session_minutes": 45,
        "starts_on": STARTS,
        "ends_on": ENDS,
        "score": 0.8,
        "created_at": NOW,
    }
    return PairCreated(**{**values, **fields})


def pair_ended(
    pair_id: str = "p1",
    at: datetime = NOW,
    reason: PairEndReason = PairEndReason.WITHDRAWN,
    *,
    mentor: str = "mentor",
    mentee: str = "mentee",
    program_id: str = "prog",
) -> PairEnded:
    return PairEnded(
        pair_id=pair_id,
        program_id=program_id,
        mentor_id=mentor,
        mentee_id=mentee,
        reason=reason,
        ended_at=at,
    )


def held(
    session_id: str = "s1", pair_id: str = "p1", at: datetime = NOW, program_id: str = "prog"
) -> SessionHeld:
    return SessionHeld(
        session_id=session_id,
        pair_id=pair_id,
        program_id=program_id,
        held_at=at,
        duration_minutes=45,
    )
