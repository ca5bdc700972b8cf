"""Pure domain rules: the projection's ordering and tombstones, the pair and program lifecycles."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tandem_contracts.events import (
    EmployeeDeparted,
    EmployeeHired,
    EmployeeUpdated,
    PairCreated,
    PairDeclined,
    PairEnded,
    PairEndReason,
    ProgramClosed,
    ProgramOpened,
)
from tandem_contracts.values import (
    Availability,
    Generation,
    ProgramFormat,
    Role,
    Weekday,
    WeeklySlot,
)
from tandem_pairing.domain.employees import Employee, apply, in_reporting_line
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.matching import MatchingRules, MatchingWeights, Objective, ScoreBreakdown
from tandem_pairing.domain.pairs import Pair, PairStateError, PairStatus, PairTerms, pair_terms
from tandem_pairing.domain.programs import Program, ProgramStateError, ProgramStatus

T = datetime(2026, 3, 1, tzinfo=UTC)


def hired(at: datetime, **changes: object) -> EmployeeHired:
    fields: dict[str, object] = {
        "employee_id": "e1",
        "manager_id": "boss",
        "department": "Sales",
        "job_level": 4,
        "birth_year": 1980,
        "languages": ("en",),
        "time_zone": "Europe/Berlin",
        "hired_on": date(2020, 1, 1),
        "effective_at": at,
    }
    fields.update(changes)
    return EmployeeHired.model_validate(fields)


def updated(at: datetime, **changes: object) -> EmployeeUpdated:
    data = hired(at, **changes).model_dump(exclude={"hired_on"})
    return EmployeeUpdated.model_validate(data)


def test_newer_records_win_and_older_or_equal_ones_change_nothing() -> None:
    first = apply(None, hired(T))
    assert first is not None
    newer = apply(first, updated(T + timedelta(hours=1), job_level=6))
    assert newer is not None
    assert newer.job_level == 6
    assert apply(newer, updated(T + timedelta(minutes=30), job_level=5)) is None
    assert apply(newer, updated(T + timedelta(hours=1), job_level=7)) is None, "a replay"


def test_an_update_before_the_hire_still_lands_and_the_late_hire_is_ignored() -> None:
    early = apply(None, updated(T + timedelta(days=1), department="Legal"))
    assert early is not None
    assert early.department == "Legal"
    assert apply(early, hired(T)) is None


def test_departure_leaves_a_tombstone_that_stale_updates_cannot_revive() -> None:
    person = apply(None, hired(T))
    assert person is not None
    gone = apply(
        person,
        EmployeeDeparted(
            employee_id="e1", departed_on=date(2026, 4, 1), effective_at=T + timedelta(days=30)
        ),
    )
    assert gone == Employee(
        employee_id="e1",
        active=False,
        effective_at=T + timedelta(days=30),
        departed_on=date(2026, 4, 1),
    )
    assert gone.department == "", "no personal data kept"
    assert gone.birth_year is None
    assert apply(gone, updated(T + timedelta(days=2))) is None
    rehired = apply(gone, hired(T + timedelta(days=90)))
    assert rehired is not None
    assert rehired.active


def test_generation_stands_in_for_a_missing_birth_year_without_inventing_one() -> None:
    person = apply(None, hired(T, birth_year=None, generation=Generation.GEN_Z))
    assert person is not None
    assert person.birth_year is None, "GET /employees shows what HR sent, nothing invented"
    assert person.generation is Generation.GEN_Z
    assert person.seniority_birth_year == 2002, "the age rule still has a year to compare"
    both = apply(None, hired(T, birth_year=1990, generation=Generation.GEN_Z))
    assert both is not None
    assert both.seniority_birth_year == 1990, "a real birth year wins"


def test_reporting_line_in_either_direction() -> None:
    assert in_reporting_line("m", ("lead", "ceo"), "ceo", ())
    assert in_reporting_line("m", (), "x", ("m", "ceo"))
    assert not in_reporting_line("m", ("ceo",), "x", ("lead", "ceo"))


def pair() -> Pair:
    breakdown = ScoreBreakdown(
        topic_fit=1.0,
        availability=1.0,
        cross_department=1.0,
        preference=0.0,
        total=1.5,
        common_minutes=120,
        shared_topics=("ai",),
    )
    return Pair(
        pair_id="p",
        program_id="g",
        run_id="r",
        mentor_enrollment_id="en-m",
        mentee_enrollment_id="en-x",
        mentor_id="m",
        mentee_id="x",
        breakdown=breakdown,
        created_at=T,
    )


def terms() -> PairTerms:
    slots = (WeeklySlot(weekday=Weekday.MONDAY, start=time(9), end=time(11)),)
    member = Enrollment(
        enrollment_id="en-m",
        program_id="g",
        employee_id="m",
        role=Role.MENTOR,
        languages=("en",),
        availability=Availability(time_zone="Europe/Berlin", slots=slots),
        enrolled_at=T,
    )
    mentee = member.model_copy(update={"enrollment_id": "en-x", "employee_id": "x"})
    return pair_terms(program(), member, mentee, today=date(2027, 2, 1))


def test_a_pair_is_active_only_once_both_sides_accept() -> None:
    half = pair().accept("x", T, terms())
    assert half.status is PairStatus.PROPOSED
    assert half.mentee_accepted
    assert not half.mentor_accepted
    assert half.collect_new_events() == ()
    twice = half.accept("x", T, terms())
    assert twice.status is PairStatus.PROPOSED, "the same side twice is not both"
    both = half.accept("m", T, terms())
    assert both.status is PairStatus.ACTIVE
    [created] = both.collect_new_events()
    assert isinstance(created, PairCreated)
    assert (created.mentor.employee_id, created.mentee.employee_id) == ("m", "x")
    assert created.starts_on == date(2027, 2, 1), "a pair formed mid-program starts today"
    assert both.collect_new_events() == (), "collected once"
    with pytest.raises(PairStateError, match="not part of this pair"):
        pair().accept("stranger", T, terms())
    with pytest.raises(PairStateError, match="only a proposal"):
        both.decline("m", T)
    with pytest.raises(PairStateError, match="withdrawn"):
        half.accept("m", T, None)


def test_a_declined_proposal_says_who_declined_it() -> None:
    declined = pair().decline("x", T)
    assert declined.status is PairStatus.DECLINED
    [event] = declined.collect_new_events()
    assert isinstance(event, PairDeclined)
    assert (event.declined_by, event.declined_at) == (Role.MENTEE, T)


def test_only_an_active_pair_ends_and_it_keeps_its_reason() -> None:
    with pytest.raises(PairStateError, match="only an active pair"):
        pair().end(PairEndReason.WITHDRAWN, T)
    ended = pair().activate(T, terms()).end(PairEndReason.REPORTING_LINE_CONFLICT, T)
    assert (ended.status, ended.end_reason) == (
        PairStatus.ENDED,
        PairEndReason.REPORTING_LINE_CONFLICT,
    )
    created, gone = ended.collect_new_events()
    assert isinstance(created, PairCreated)
    assert isinstance(gone, PairEnded)
    assert gone.reason is PairEndReason.REPORTING_LINE_CONFLICT


def program(**changes: object) -> Program:
    fields: dict[str, object] = {
        "program_id": "g",
        "name": "n",
        "starts_on": date(2027, 1, 11),
        "ends_on": date(2027, 7, 9),
        "duration_weeks": 26,
        "cadence_weeks": 1,
        "session_minutes": 45,
        "format": ProgramFormat.ONE_TO_ONE,
        "topics": ("ai",),
        "weights": MatchingWeights(),
        "rules": MatchingRules(),
        "mentor_capacity": 2,
        "objective": Objective.MAX_SCORE,
        "auto_accept": False,
        "created_at": T,
    }
    fields.update(changes)
    return Program.model_validate(fields)


def test_program_states_and_places() -> None:
    opened = program().open(T)
    assert opened.status is ProgramStatus.OPEN
    with pytest.raises(ProgramStateError):
        opened.open(T)
    closed = opened.close(T)
    with pytest.raises(ProgramStateError):
        closed.close(T)
    opened_event, closed_event = closed.collect_new_events()
    assert isinstance(opened_event, ProgramOpened)
    assert isinstance(closed_event, ProgramClosed)
    assert (opened_event.program_id, opened_event.topics, opened_event.opened_at) == (
        "g",
        ("ai",),
        T,
    )
    assert (opened_event.session_minutes, opened_event.starts_on) == (45, date(2027, 1, 11))
    assert closed_event.closed_at == T
    assert program().places_per_mentor == 2
    assert program(format=ProgramFormat.GROUP, group_size=5).places_per_mentor == 5


def test_a_session_longer_than_an_hour_is_not_a_program() -> None:
    with pytest.raises(ValueError, match="less than or equal to 60"):
        program(session_minutes=75)
