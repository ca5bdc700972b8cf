"""Use cases of the pairing service: each takes a command (or event) and a unit of work."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime

from tandem_contracts.events import (
    PairCreated,
    PairEnded,
    PairEndReason,
    PairMember,
    ParticipantEnrolled,
    ParticipantWithdrawn,
    ProgramClosed,
    ProgramOpened,
)
from tandem_contracts.values import Role
from tandem_pairing.adapters.unit_of_work import PairingUnitOfWork
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.matching import (
    MatchingProblem,
    Participant,
    Pin,
    ProposedPair,
    match,
    suggest_mentors,
)
from tandem_pairing.domain.pairs import Pair, PairStateError, PairStatus
from tandem_pairing.domain.participants import reporting_chain, to_participant
from tandem_pairing.domain.programs import Program, ProgramStateError
from tandem_pairing.domain.runs import MatchingRun, UnmatchedEntry
from tandem_pairing.service.commands import CreateProgram, Enroll, RunMatching
from tandem_servicekit.errors import Conflict, InvalidRequest, NotFound


def now() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


async def create_program(cmd: CreateProgram, uow: PairingUnitOfWork) -> Program:
    program = Program(
        program_id=new_id("prog"),
        name=cmd.name,
        starts_on=cmd.starts_on,
        ends_on=cmd.ends_on,
        duration_weeks=cmd.duration_weeks,
        cadence_weeks=cmd.cadence_weeks,
        session_minutes=cmd.session_minutes,
        format=cmd.format,
        group_size=cmd.group_size,
        topics=tuple(cmd.topics),
        weights=cmd.weights.domain(),
        rules=cmd.rules.domain(),
        mentor_capacity=cmd.mentor_capacity,
        objective=cmd.objective,
        auto_accept=cmd.auto_accept,
        created_at=now(),
    )
    await uow.programs.put(program)
    await uow.commit()
    return program


async def get_program(program_id: str, uow: PairingUnitOfWork) -> Program:
    program = await uow.programs.get(program_id)
    if program is None:
        raise NotFound(f"program {program_id} not found")
    return program


async def _open_program_for(program_id: str, action: str, uow: PairingUnitOfWork) -> Program:
    program = await get_program(program_id, uow)
    try:
        program.require_open(action)
    except ProgramStateError as exc:
        raise Conflict(str(exc)) from exc
    return program


async def open_program(program_id: str, uow: PairingUnitOfWork) -> Program:
    program = await get_program(program_id, uow)
    try:
        program = program.open(now())
    except ProgramStateError as exc:
        raise Conflict(str(exc)) from exc
    await uow.programs.put(program)
    uow.emit(
        ProgramOpened(
            program_id=program.program_id,
            name=program.name,
            starts_on=program.starts_on,
            ends_on=program.ends_on,
            duration_weeks=program.duration_weeks,
            cadence_weeks=program.cadence_weeks,
            session_minutes=program.session_minutes,
            format=program.format,
            group_size=program.group_size,
            topics=program.topics,
            opened_at=program.opened_at or now(),
        )
    )
    await uow.commit()
    return program


async def close_program(program_id: str, uow: PairingUnitOfWork) -> Program:
    """Closing completes the active pairs and drops open proposals."""
    program = await get_program(program_id, uow)
    try:
        program = program.close(now())
    except ProgramStateError as exc:
        raise Conflict(str(exc)) from exc
    await uow.programs.put(program)
    await uow.pairs.supersede_proposals(program_id)
    active = await uow.pairs.in_program(program_id, [PairStatus.ACTIVE])
    await end_pairs(uow, active, PairEndReason.COMPLETED)
    uow.emit(ProgramClosed(program_id=program_id, closed_at=program.closed_at or now()))
    await uow.commit()
    return program


async def enroll(program_id: str, cmd: Enroll, uow: PairingUnitOfWork) -> Enrollment:
    program = await _open_program_for(program_id, "enrollment", uow)
    employee = await uow.employees.get(cmd.employee_id)
    if employee is None:
        raise InvalidRequest("employee_id", f"employee {cmd.employee_id} is not known from HR")
    if not employee.active:
        raise InvalidRequest("employee_id", f"employee {cmd.employee_id} has left the company")
    if await uow.enrollments.active_of(program_id, cmd.employee_id) is not None:
        raise Conflict(f"employee {cmd.employee_id} is already enrolled in this program")
    topics = (
        [e.topic for e in cmd.expertise]
        if cmd.role is Role.MENTOR
        else [g.topic for g in cmd.goals]
    )
    field = "expertise" if cmd.role is Role.MENTOR else "goals"
    if not topics:
        raise InvalidRequest(field, f"a {cmd.role.value} enrolls with at least one topic")
    unknown = sorted(set(topics) - set(program.topics))
    if unknown:
        raise InvalidRequest(field, f"topics not in this program: {', '.join(unknown)}")
    if len(set(topics)) != len(topics):
        raise InvalidRequest(field, "each topic at most once")
    if cmd.role is Role.MENTEE and cmd.capacity != 1:
        raise InvalidRequest("capacity", "only mentors have a capacity")
    wishes = cmd.preferences
    if cmd.employee_id in {*wishes.avoid_employee_ids, *wishes.preferred_employee_ids}:
        raise InvalidRequest("preferences", "a preference cannot name yourself")
    enrollment = Enrollment(
        enrollment_id=new_id("enr"),
        program_id=program_id,
        employee_id=cmd.employee_id,
        role=cmd.role,
        expertise=tuple(cmd.expertise) if cmd.role is Role.MENTOR else (),
        goals=tuple(cmd.goals) if cmd.role is Role.MENTEE else (),
        languages=tuple(cmd.languages) or employee.languages,
        availability=cmd.availability,
        capacity=min(cmd.capacity, program.places_per_mentor) if cmd.role is Role.MENTOR else 1,
        avoid_employee_ids=tuple(wishes.avoid_employee_ids),
        preferred_employee_ids=tuple(wishes.preferred_employee_ids),
        enrolled_at=now(),
    )
    await uow.enrollments.put(enrollment)
    uow.emit(
        ParticipantEnrolled(
            program_id=program_id,
            enrollment_id=enrollment.enrollment_id,
            employee_id=enrollment.employee_id,
            role=enrollment.role,
            expertise=enrollment.expertise,
            goals=enrollment.goals,
            languages=enrollment.languages,
            availability=enrollment.availability,
            capacity=enrollment.capacity,
            enrolled_at=enrollment.enrolled_at,
        )
    )
    await uow.commit()
    return enrollment


async def withdraw(program_id: str, enrollment_id: str, uow: PairingUnitOfWork) -> Enrollment:
    enrollment = await uow.enrollments.get(enrollment_id)
    if enrollment is None or enrollment.program_id != program_id:
        raise NotFound(f"enrollment {enrollment_id} not found in program {program_id}")
    if not enrollment.active:
        raise Conflict("enrollment is withdrawn already")
    withdrawn = await withdraw_enrollments(uow, [enrollment], PairEndReason.WITHDRAWN)
    await uow.commit()
    return withdrawn[0]


async def withdraw_enrollments(
    uow: PairingUnitOfWork, enrollments: Iterable[Enrollment], reason: PairEndReason
) -> list[Enrollment]:
    done = []
    for active in enrollments:
        enrollment = active.model_copy(
            update={"status": EnrollmentStatus.WITHDRAWN, "withdrawn_at": now()}
        )
        await uow.enrollments.put(enrollment)
        pairs = [
            p
            for p in await uow.pairs.active_with([enrollment.employee_id])
            if p.program_id == enrollment.program_id
        ]
        await end_pairs(uow, pairs, reason)
        uow.emit(
            ParticipantWithdrawn(
                program_id=enrollment.program_id,
                enrollment_id=enrollment.enrollment_id,
                employee_id=enrollment.employee_id,
                role=enrollment.role,
                withdrawn_at=enrollment.withdrawn_at or now(),
            )
        )
        done.append(enrollment)
    return done


async def end_pairs(
    uow: PairingUnitOfWork, pairs: Iterable[Pair], reason: PairEndReason
) -> list[Pair]:
    ended = []
    for active in pairs:
        pair = active.end(reason, now())
        await uow.pairs.put(pair)
        uow.emit(
            PairEnded(
                pair_id=pair.pair_id,
                program_id=pair.program_id,
                mentor_id=pair.mentor_id,
                mentee_id=pair.mentee_id,
                reason=reason,
                ended_at=pair.ended_at or now(),
            )
        )
        ended.append(pair)
    return ended


async def run_matching(program_id: str, cmd: RunMatching, uow: PairingUnitOfWork) -> MatchingRun:
    """Match the program's free participants; active pairs are kept (pinned)."""
    program = await _open_program_for(program_id, "matching", uow)
    enrollments = await uow.enrollments.active_in(program_id)
    by_id = {e.enrollment_id: e for e in enrollments}
    active = await uow.pairs.in_program(program_id, [PairStatus.ACTIVE])
    participants = await _participants(uow, program, enrollments)
    mentors = tuple(p for p in participants if by_id[p.enrollment_id].role is Role.MENTOR)
    mentees = tuple(p for p in participants if by_id[p.enrollment_id].role is Role.MENTEE)
    pins = tuple(
        Pin(p.mentor_enrollment_id, p.mentee_enrollment_id)
        for p in active
        if p.mentor_enrollment_id in by_id and p.mentee_enrollment_id in by_id
    )
    problem = MatchingProblem(
        mentors,
        mentees,
        program.weights,
        program.rules,
        cmd.objective or program.objective,
        pinned=pins,
        candidates_per_mentee=cmd.candidates_per_mentee,
        candidates_per_mentor=cmd.candidates_per_mentor,
    )
    result = await asyncio.to_thread(match, problem)
    run_id = new_id("run")
    await uow.pairs.supersede_proposals(program_id)
    created_at = now()
    fresh = [p for p in result.pairs if not p.pinned]
    pairs = [_new_pair(program, run_id, p, by_id, created_at) for p in fresh]
    await uow.pairs.put_many(pairs)
    for pair in pairs:
        if pair.status is PairStatus.ACTIVE:
            uow.emit(_pair_created(program, pair, by_id))
    reasons: dict[str, int] = {}
    for u in result.unmatched:
        if u.role == "mentee":
            reasons[u.reason.value] = reasons.get(u.reason.value, 0) + 1
    await uow.unmatched.put_many(
        UnmatchedEntry(
            entry_id=f"{run_id}:{u.enrollment_id}",
            run_id=run_id,
            enrollment_id=u.enrollment_id,
            employee_id=by_id[u.enrollment_id].employee_id,
            role=u.role,
            reason=u.reason,
            free_places=u.free_places,
        )
        for u in result.unmatched
    )
    run = MatchingRun(
        run_id=run_id,
        program_id=program_id,
        objective=problem.objective,
        mentors=len(mentors),
        mentees=len(mentees),
        pinned=len(pins),
        proposed=len(pairs),
        unmatched_mentees=sum(reasons.values()),
        unmatched_by_reason=reasons,
        total_score=result.total_score,
        average_score=round(result.total_score / len(result.pairs), 6) if result.pairs else 0.0,
        candidate_arcs=result.stats.candidate_arcs,
        scoring_seconds=result.stats.scoring_seconds,
        solving_seconds=result.stats.solving_seconds,
        auto_accepted=program.auto_accept,
        created_at=created_at,
    )
    await uow.runs.put(run)
    await uow.commit()
    return run


async def suggest(
    program_id: str, employee_id: str, k: int, uow: PairingUnitOfWork
) -> list[ProposedPair]:
    """Self-match: the k best mentors with free places for one enrolled mentee."""
    program = await get_program(program_id, uow)
    enrollment = await uow.enrollments.active_of(program_id, employee_id)
    if enrollment is None or enrollment.role is not Role.MENTEE:
        raise NotFound(f"{employee_id} is not an enrolled mentee of program {program_id}")
    mentors = [e for e in await uow.enrollments.active_in(program_id) if e.role is Role.MENTOR]
    taken: dict[str, int] = {}
    for pair in await uow.pairs.in_program(program_id, [PairStatus.ACTIVE]):
        taken[pair.mentor_enrollment_id] = taken.get(pair.mentor_enrollment_id, 0) + 1
    free = [e for e in mentors if taken.get(e.enrollment_id, 0) < e.capacity]
    people = await _participants(uow, program, [*free, enrollment])
    mentee = next(p for p in people if p.enrollment_id == enrollment.enrollment_id)
    problem = MatchingProblem(
        tuple(p for p in people if p is not mentee), (mentee,), program.weights, program.rules
    )
    return await asyncio.to_thread(suggest_mentors, problem, mentee, k)


async def decide_pair(pair_id: str, employee_id: str, accept: bool, uow: PairingUnitOfWork) -> Pair:
    pair = await _pair(pair_id, uow)
    try:
        decided = pair.accept(employee_id, now()) if accept else pair.decline(employee_id)
    except PairStateError as exc:
        raise Conflict(str(exc)) from exc
    await uow.pairs.put(decided)
    if decided.status is PairStatus.ACTIVE:
        program = await get_program(pair.program_id, uow)
        enrollments = {e.enrollment_id: e for e in await uow.enrollments.active_in(pair.program_id)}
        if not {pair.mentor_enrollment_id, pair.mentee_enrollment_id} <= set(enrollments):
            raise Conflict("a participant of this pair has withdrawn")
        uow.emit(_pair_created(program, decided, enrollments))
    await uow.commit()
    return decided


async def end_pair(pair_id: str, uow: PairingUnitOfWork) -> Pair:
    pair = await _pair(pair_id, uow)
    try:
        [ended] = await end_pairs(uow, [pair], PairEndReason.ENDED_BY_PROGRAM_MANAGER)
    except PairStateError as exc:
        raise Conflict(str(exc)) from exc
    await uow.commit()
    return ended


async def _pair(pair_id: str, uow: PairingUnitOfWork) -> Pair:
    pair = await uow.pairs.get(pair_id)
    if pair is None:
        raise NotFound(f"pair {pair_id} not found")
    return pair


async def _participants(
    uow: PairingUnitOfWork, program: Program, enrollments: list[Enrollment]
) -> list[Participant]:
    """Enrollments joined with the HR projection; people who left are skipped."""
    employees = await uow.employees.get_many(e.employee_id for e in enrollments)
    managers = await uow.employees.manager_map(employees)
    out = []
    for e in enrollments:
        person = employees.get(e.employee_id)
        if person is None or not person.active:
            continue
        out.append(
            to_participant(
                enrollment_id=e.enrollment_id,
                employee_id=e.employee_id,
                department=person.department,
                team=person.team,
                manager_id=person.manager_id,
                chain=reporting_chain(e.employee_id, managers),
                job_level=person.job_level,
                birth_year=person.birth_year,
                languages=frozenset(e.languages),
                availability=e.availability,
                topics=e.topic_values,
                capacity=e.capacity,
                reference=program.starts_on,
                avoid=frozenset(e.avoid_employee_ids),
                prefer=frozenset(e.preferred_employee_ids),
            )
        )
    return out


def _new_pair(
    program: Program,
    run_id: str,
    proposed: ProposedPair,
    by_id: dict[str, Enrollment],
    at: datetime,
) -> Pair:
    mentor, mentee = by_id[proposed.mentor_enrollment_id], by_id[proposed.mentee_enrollment_id]
    pair = Pair(
        pair_id=new_id("pair"),
        program_id=program.program_id,
        run_id=run_id,
        group_id=f"grp-{mentor.enrollment_id}" if program.group_size else None,
        mentor_enrollment_id=mentor.enrollment_id,
        mentee_enrollment_id=mentee.enrollment_id,
        mentor_id=mentor.employee_id,
        mentee_id=mentee.employee_id,
        breakdown=proposed.breakdown,
        created_at=at,
    )
    return pair.activate(at) if program.auto_accept else pair


def _pair_created(program: Program, pair: Pair, enrollments: dict[str, Enrollment]) -> PairCreated:
    def member(enrollment_id: str) -> PairMember:
        e = enrollments[enrollment_id]
        return PairMember(
            employee_id=e.employee_id,
            enrollment_id=e.enrollment_id,
            languages=e.languages,
            availability=e.availability,
        )

    today = date.today()
    return PairCreated(
        pair_id=pair.pair_id,
        program_id=program.program_id,
        group_id=pair.group_id,
        mentor=member(pair.mentor_enrollment_id),
        mentee=member(pair.mentee_enrollment_id),
        topics=pair.breakdown.shared_topics or program.topics,
        cadence_weeks=program.cadence_weeks,
        session_minutes=program.session_minutes,
        starts_on=max(program.starts_on, today),
        ends_on=program.ends_on,
        score=pair.breakdown.total,
        created_at=pair.activated_at or now(),
    )
