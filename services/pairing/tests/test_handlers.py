"""Use cases over a hand-written fake unit of work: the rules, fast and without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from tandem_contracts.events import (
    EmployeeDeparted,
    EmployeeHired,
    EmployeeUpdated,
    PairEnded,
    ProgramClosed,
)
from tandem_contracts.values import Availability, Role, WeeklySlot
from tandem_pairing.domain.employees import HrEvent
from tandem_pairing.domain.pairs import PairStatus
from tandem_pairing.service import views
from tandem_pairing.service.commands import CreateProgram, Enroll, RunMatching
from tandem_pairing.service.enrollment import enroll
from tandem_pairing.service.hr import on_employee_events
from tandem_pairing.service.matching import suggest
from tandem_pairing.service.pairs import decide_pair
from tandem_pairing.service.ports import EmployeeQuery, PairQuery
from tandem_pairing.service.privacy import erase
from tandem_pairing.service.programs import close_program, create_program
from tandem_pairing.service.programs import open_program as open_it
from tandem_servicekit.auth import HR_ADMIN, PARTICIPANT, PROGRAM_MANAGER, Principal
from tandem_servicekit.clock import FakeClock
from tandem_servicekit.errors import Conflict, Forbidden, InvalidRequest, NotFound
from tandem_servicekit.repository import Paging

from .fakes import FakePairingUnitOfWork, run_matching

T = datetime(2026, 1, 1, tzinfo=UTC)
MORNINGS = Availability(
    time_zone="Europe/Berlin",
    slots=tuple(WeeklySlot(weekday=d, start=time(9), end=time(11)) for d in range(5)),
)


PM = Principal("pm", frozenset({PROGRAM_MANAGER}))


def person(employee_id: str) -> Principal:
    return Principal(employee_id, frozenset({PARTICIPANT}))


def work() -> FakePairingUnitOfWork:
    return FakePairingUnitOfWork(FakeClock(T))


async def on_hr(uow: FakePairingUnitOfWork, *events: HrEvent) -> None:
    """As the consumer runs it: one unit of work for the batch, committed by the caller."""
    async with uow:
        await on_employee_events(events, uow)
        await uow.commit()


def hired(
    employee_id: str, level: int, manager: str | None = None, at: datetime = T
) -> EmployeeHired:
    return EmployeeHired(
        employee_id=employee_id,
        manager_id=manager,
        department=f"D{level}",
        job_level=level,
        languages=("en",),
        time_zone="Europe/Berlin",
        hired_on=date(2020, 1, 1),
        effective_at=at,
    )


async def company(uow: FakePairingUnitOfWork, *events: EmployeeHired) -> None:
    await on_hr(uow, *events)


async def open_program(uow: FakePairingUnitOfWork, **changes: Any) -> str:
    body: dict[str, Any] = {
        "name": "p",
        "starts_on": date(2027, 1, 11),
        "ends_on": date(2027, 7, 9),
        "duration_weeks": 26,
        "session_minutes": 45,
        "topics": ["ai"],
        "auto_accept": True,
    }
    body.update(changes)
    program = await create_program(CreateProgram.model_validate(body), PM, uow)
    await open_it(program.program_id, PM, uow)
    return program.program_id


def enroll_cmd(employee_id: str, role: Role, **changes: Any) -> Enroll:
    body: dict[str, Any] = {"employee_id": employee_id, "role": role, "availability": MORNINGS}
    if role is Role.MENTOR:
        body["expertise"] = [{"topic": "ai", "level": 5}]
    else:
        body["goals"] = [{"topic": "ai", "priority": 5}]
    body.update(changes)
    return Enroll.model_validate(body)


async def test_opening_a_program_publishes_program_opened() -> None:
    uow = work()
    await open_program(uow)
    assert uow.published_types() == ["program_opened"]


async def test_enrollment_rules() -> None:
    uow = work()
    await company(uow, hired("m", 1), hired("x", 6))
    await on_hr(
        uow, EmployeeDeparted(employee_id="gone", departed_on=date(2026, 1, 1), effective_at=T)
    )
    program_id = await open_program(uow)
    with pytest.raises(NotFound):
        await enroll("nope", enroll_cmd("x", Role.MENTEE), PM, uow)
    with pytest.raises(InvalidRequest, match="not known from HR"):
        await enroll(program_id, enroll_cmd("ghost", Role.MENTEE), PM, uow)
    with pytest.raises(InvalidRequest, match="has left"):
        await enroll(program_id, enroll_cmd("gone", Role.MENTEE), PM, uow)
    off_topic = enroll_cmd("x", Role.MENTEE, goals=[{"topic": "cooking", "priority": 1}])
    with pytest.raises(InvalidRequest, match="not in this program: cooking"):
        await enroll(program_id, off_topic, PM, uow)
    enrolled = await enroll(program_id, enroll_cmd("x", Role.MENTEE), PM, uow)
    assert enrolled.languages == ("en",), "taken from HR when not given"
    with pytest.raises(Conflict, match="already enrolled"):
        await enroll(program_id, enroll_cmd("x", Role.MENTEE), PM, uow)
    with pytest.raises(InvalidRequest, match="at most 1 mentee") as too_many:
        await enroll(program_id, enroll_cmd("m", Role.MENTOR, capacity=9), PM, uow)
    assert too_many.value.field == "capacity", "named, never silently clipped"
    mentor = await enroll(program_id, enroll_cmd("m", Role.MENTOR, capacity=1), PM, uow)
    assert mentor.capacity == 1


async def test_departure_ends_pairs_and_withdraws_enrollments() -> None:
    uow = work()
    await company(uow, hired("m", 1), hired("x", 6))
    program_id = await open_program(uow)
    await enroll(program_id, enroll_cmd("m", Role.MENTOR), PM, uow)
    await enroll(program_id, enroll_cmd("x", Role.MENTEE), PM, uow)
    run = await run_matching(program_id, RunMatching(), PM, uow)
    assert run.proposed == 1
    assert uow.published_types()[-1] == "pair_created"
    left = datetime(2026, 2, 1, tzinfo=UTC)
    departed = EmployeeDeparted(employee_id="x", departed_on=left.date(), effective_at=left)
    await on_hr(uow, departed)
    assert uow.published_types()[-2:] == ["pair_ended", "participant_withdrawn"]
    [pair] = uow.pairs.items.values()
    assert pair.status is PairStatus.ENDED
    assert await uow.enrollments.active_of(program_id, "x") is None
    assert await uow.enrollments.active_of(program_id, "m") is not None


async def test_a_manager_change_below_the_pair_ends_it_and_a_stale_one_does_nothing() -> None:
    uow = work()
    await company(
        uow, hired("ceo", 12), hired("lead", 9, "ceo"), hired("m", 1, "ceo"), hired("x", 7, "lead")
    )
    program_id = await open_program(uow)
    await enroll(program_id, enroll_cmd("m", Role.MENTOR), PM, uow)
    await enroll(program_id, enroll_cmd("x", Role.MENTEE), PM, uow)
    await run_matching(program_id, RunMatching(), PM, uow)
    stale = EmployeeUpdated(
        **{**hired("lead", 9, "m").model_dump(exclude={"hired_on"}), "effective_at": T}
    )
    await on_hr(uow, stale)
    assert uow.published_types()[-1] == "pair_created", "not newer: ignored"
    moved = EmployeeUpdated(
        **{
            **hired("lead", 9, "m").model_dump(exclude={"hired_on"}),
            "effective_at": datetime(2026, 3, 1, tzinfo=UTC),
        }
    )
    await on_hr(uow, moved)
    assert uow.published_types()[-1] == "pair_ended"
    [pair] = uow.pairs.items.values()
    assert pair.end_reason is not None
    assert pair.end_reason.value == "reporting_line_conflict"


async def test_a_late_hired_manager_who_puts_the_mentor_above_the_mentee_ends_the_pair() -> None:
    """The new hire is in no pair, but the people already reporting to them are checked."""
    uow = work()
    await company(uow, hired("ceo", 12), hired("m", 1, "ceo"), hired("x", 7, "lead"))
    program_id = await open_program(uow)
    await enroll(program_id, enroll_cmd("m", Role.MENTOR), PM, uow)
    await enroll(program_id, enroll_cmd("x", Role.MENTEE), PM, uow)
    await run_matching(program_id, RunMatching(), PM, uow)
    await on_hr(uow, hired("other", 3, "ceo"))
    assert uow.published_types()[-1] == "pair_created", "an unrelated hire ends nothing"
    await on_hr(uow, hired("lead", 9, "m"))
    [pair] = uow.pairs.items.values()
    assert pair.status is PairStatus.ENDED
    assert pair.end_reason is not None
    assert pair.end_reason.value == "reporting_line_conflict"


async def test_a_new_run_keeps_active_pairs_and_replaces_open_proposals() -> None:
    uow = work()
    await company(uow, hired("m1", 1), hired("m2", 2), hired("x1", 6), hired("x2", 7))
    program_id = await open_program(uow, auto_accept=False)
    for mentor in ("m1", "m2"):
        await enroll(program_id, enroll_cmd(mentor, Role.MENTOR), PM, uow)
    await enroll(program_id, enroll_cmd("x1", Role.MENTEE), PM, uow)
    await run_matching(program_id, RunMatching(), PM, uow)
    [first] = uow.pairs.items.values()
    await decide_pair(first.pair_id, first.mentor_id, True, person(first.mentor_id), uow)
    await decide_pair(first.pair_id, first.mentee_id, True, person(first.mentee_id), uow)
    await enroll(program_id, enroll_cmd("x2", Role.MENTEE), PM, uow)
    second = await run_matching(program_id, RunMatching(), PM, uow)
    assert (second.pinned, second.proposed) == (1, 1)
    statuses = sorted(p.status.value for p in uow.pairs.items.values())
    assert statuses == ["active", "proposed"]
    third = await run_matching(program_id, RunMatching(), PM, uow)
    assert third.proposed == 1
    statuses = sorted(p.status.value for p in uow.pairs.items.values())
    assert statuses == ["active", "proposed", "superseded"]
    [old] = (p for p in uow.pairs.items.values() if p.status.value == "superseded")
    assert old.superseded_at == T, "stamped, so the store can expire it"


async def one_pair(uow: FakePairingUnitOfWork) -> str:
    """A program with one active pair (m mentors x); returns the program's id."""
    await company(uow, hired("m", 1), hired("x", 6))
    program_id = await open_program(uow)
    await enroll(program_id, enroll_cmd("m", Role.MENTOR), PM, uow)
    await enroll(program_id, enroll_cmd("x", Role.MENTEE), PM, uow)
    await run_matching(program_id, RunMatching(), PM, uow)
    return program_id


async def test_closing_completes_active_pairs() -> None:
    uow = work()
    program_id = await one_pair(uow)
    await close_program(program_id, PM, uow)
    assert uow.published_types()[-2:] == ["pair_ended", "program_closed"]
    [pair] = uow.pairs.items.values()
    assert pair.end_reason is not None
    assert pair.end_reason.value == "completed"
    with pytest.raises(Conflict, match="closed"):
        await run_matching(program_id, RunMatching(), PM, uow)


class TickingClock(FakeClock):
    """Moves on a microsecond each time it is read, as a real clock does."""

    def now(self) -> datetime:
        at = super().now()
        self.advance(timedelta(microseconds=1))
        return at


async def test_a_close_and_the_ends_of_its_pairs_carry_one_time() -> None:
    """Consumers read the close and each PairEnded from different partitions, in either order,
    and recognise the pair's end as the close's by its time."""
    uow = FakePairingUnitOfWork(TickingClock(T))
    await close_program(await one_pair(uow), PM, uow)
    [ended] = [e for e in uow.published if isinstance(e, PairEnded)]
    [closed] = [e for e in uow.published if isinstance(e, ProgramClosed)]
    assert ended.ended_at == closed.closed_at


async def test_the_same_people_get_the_same_pairs_whatever_their_enrollment_ids() -> None:
    """Everyone is interchangeable here, so every assignment scores the same: only the
    tie-break decides, and it must not depend on the generated enrollment ids."""
    uow = work()
    mentors = [hired(f"m{n}", 1) for n in range(6)]
    mentees = [hired(f"x{n}", 6) for n in range(6)]
    await company(uow, *mentors, *mentees)
    runs = []
    for _ in range(3):
        program_id = await open_program(uow)
        people = [(m.employee_id, Role.MENTOR) for m in mentors]
        people += [(x.employee_id, Role.MENTEE) for x in mentees]
        for employee_id, role in sorted(people, key=lambda _: uuid.uuid4().hex):
            await enroll(program_id, enroll_cmd(employee_id, role), PM, uow)
        await run_matching(program_id, RunMatching(), PM, uow)
        page = await uow.pairs.page_in(program_id, PairQuery(), Paging(limit=100))
        runs.append(sorted((p.mentor_id, p.mentee_id) for p in page.items))
    assert len(runs[0]) == 6
    assert runs[0] == runs[1] == runs[2]


async def test_erasure_leaves_no_trace_of_the_person_but_keeps_the_counts() -> None:
    uow = work()
    await company(uow, hired("boss", 12), hired("m", 1, "boss"), hired("x", 6))
    program_id = await open_program(uow)
    await enroll(program_id, enroll_cmd("m", Role.MENTOR), PM, uow)
    avoid = {"preferred_employee_ids": ["m"]}
    await enroll(program_id, enroll_cmd("x", Role.MENTEE, preferences=avoid), PM, uow)
    await run_matching(program_id, RunMatching(), PM, uow)
    pairs_before = len(uow.pairs.items)
    async with uow:
        changed = await erase("m", uow)
        await uow.commit()
    assert changed >= 3
    everything = [
        item.model_dump_json()
        for repo in (uow.employees, uow.enrollments, uow.pairs, uow.unmatched, uow.programs)
        for item in repo.items.values()
    ]
    assert not [d for d in everything if '"m"' in d], "the id is gone everywhere"
    assert len(uow.pairs.items) == pairs_before, "aggregates keep counting what happened"
    assert uow.published_types()[-2:] == ["pair_ended", "participant_withdrawn"]
    assert all(not p.involves("m") for p in uow.pairs.items.values())
    later_on = datetime(2027, 1, 1, tzinfo=UTC)
    await on_hr(uow, hired("m", 1, "boss", at=later_on), hired("y", 3, "m", at=later_on))
    assert "m" not in uow.employees.items, "a late HR record does not bring them back"
    assert uow.employees.items["y"].manager_id is None, "nor does a record naming them"


async def test_regional_tags_and_case_do_not_keep_speakers_of_one_language_apart() -> None:
    uow = work()
    await company(uow, hired("m", 1), hired("x", 6))
    program_id = await open_program(uow)
    mentor = await enroll(program_id, enroll_cmd("m", Role.MENTOR, languages=["EN-gb"]), PM, uow)
    assert mentor.languages == ("en-GB",), "stored in BCP 47's canonical case"
    await enroll(program_id, enroll_cmd("x", Role.MENTEE, languages=["en-US", "de"]), PM, uow)
    result = await run_matching(program_id, RunMatching(), PM, uow)
    assert result.proposed == 1


async def test_a_run_over_more_than_64_languages_matches_exactly() -> None:
    """Each pair speaks one private-use language (qaa-qtz) that nobody else speaks, and one
    mentee speaks all of them: far more shared languages than one 64-bit mask holds."""
    codes = [f"q{a}{b}" for a in "abcdefghij" for b in "abcdefgh"][:70]
    uow = work()
    await company(
        uow,
        *[hired(f"m{n}", 1) for n in range(len(codes))],
        *[hired(f"x{n}", 6) for n in range(len(codes) + 1)],
    )
    program_id = await open_program(uow)
    for n, code in enumerate(codes):
        await enroll(program_id, enroll_cmd(f"m{n}", Role.MENTOR, languages=[code]), PM, uow)
        await enroll(program_id, enroll_cmd(f"x{n}", Role.MENTEE, languages=[code]), PM, uow)
    polyglot = enroll_cmd(f"x{len(codes)}", Role.MENTEE, languages=codes[:20])
    await enroll(program_id, polyglot, PM, uow)
    result = await run_matching(program_id, RunMatching(), PM, uow)
    assert result.proposed == len(codes)
    enrollments = {e.employee_id: e for e in uow.enrollments.items.values()}
    for pair in uow.pairs.items.values():
        mentor, mentee = enrollments[pair.mentor_id], enrollments[pair.mentee_id]
        assert set(mentor.languages) & set(mentee.languages)


async def test_hr_admins_list_the_projection_and_nobody_else_does() -> None:
    uow = work()
    await company(uow, hired("m", 1), hired("x", 6), hired("y", 6, manager="m"))
    await on_hr(
        uow,
        EmployeeDeparted(
            employee_id="x",
            departed_on=date(2026, 1, 2),
            effective_at=datetime(2026, 1, 2, tzinfo=UTC),
        ),
    )
    admin = Principal("h", frozenset({HR_ADMIN}))
    everyone = await views.employees(EmployeeQuery(), Paging(limit=2), admin, uow)
    assert (everyone.total, [e.employee_id for e in everyone.items]) == (3, ["m", "x"])
    active = await views.employees(EmployeeQuery(active=True), Paging(), admin, uow)
    assert [e.employee_id for e in active.items] == ["m", "y"]
    reports = await views.employees(EmployeeQuery(manager_id="m"), Paging(), admin, uow)
    assert [e.employee_id for e in reports.items] == ["y"]
    for caller in (PM, person("m")):
        with pytest.raises(Forbidden):
            await views.employees(EmployeeQuery(), Paging(), caller, uow)


async def test_suggestions_work_from_both_sides_and_name_the_people() -> None:
    uow = work()
    await company(uow, hired("m", 1), hired("n", 1), hired("x", 6), hired("y", 6))
    program_id = await open_program(uow, auto_accept=False)
    for mentor in ("m", "n"):
        await enroll(program_id, enroll_cmd(mentor, Role.MENTOR), PM, uow)
    for mentee in ("x", "y"):
        await enroll(program_id, enroll_cmd(mentee, Role.MENTEE), PM, uow)
    for_mentee = await suggest(program_id, "x", 5, person("x"), uow)
    assert {s.mentor_employee_id for s in for_mentee} == {"m", "n"}
    assert {s.mentee_employee_id for s in for_mentee} == {"x"}
    for_mentor = await suggest(program_id, "m", 5, person("m"), uow)
    assert {s.mentee_employee_id for s in for_mentor} == {"x", "y"}
    assert {s.mentor_employee_id for s in for_mentor} == {"m"}
    await run_matching(program_id, RunMatching(), PM, uow)
    pair = next(p for p in uow.pairs.items.values() if p.mentor_id == "m")
    for side in (pair.mentor_id, pair.mentee_id):
        await decide_pair(pair.pair_id, side, True, person(side), uow)
    assert await suggest(program_id, "m", 5, person("m"), uow) == [], "no free place left"
    left = await suggest(program_id, "n", 5, person("n"), uow)
    assert [s.mentee_employee_id for s in left] == [({"x", "y"} - {pair.mentee_id}).pop()]


async def test_a_program_spans_at_most_three_years() -> None:
    """The engine reads every day of the span for DST switches: an end in year 9999 would
    make every matching run walk eight thousand years."""
    uow = work()
    with pytest.raises(ValidationError, match="ends_on") as caught:
        await open_program(uow, ends_on=date(9999, 12, 31))
    assert "at most 1092 days" in str(caught.value)
    assert await open_program(uow, ends_on=date(2029, 12, 31))
