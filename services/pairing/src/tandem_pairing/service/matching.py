"""Use cases of matching: a run over a program's free participants, and self-match suggestions."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from tandem_contracts.values import ProgramFormat, Role
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.matching import (
    MatchingProblem,
    Participant,
    Pin,
    ProposedPair,
    ScoreBreakdown,
    match,
    suggest_mentees,
    suggest_mentors,
)
from tandem_pairing.domain.matching.availability import regimes
from tandem_pairing.domain.pairs import Pair, PairStatus, pair_terms
from tandem_pairing.domain.participants import reporting_chain, to_participant
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, UnmatchedEntry
from tandem_pairing.service.access import require_manager, require_self_or_manager
from tandem_pairing.service.commands import RunMatching
from tandem_pairing.service.lookups import get_program, new_id, open_program_for
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import NotFound


async def run_matching(
    program_id: str, cmd: RunMatching, caller: Principal, uow: PairingUnitOfWork
) -> MatchingRun:
    """Match the program's free participants; active pairs are kept (pinned)."""
    require_manager(caller, await get_program(program_id, uow))
    program = await open_program_for(program_id, "matching", uow)
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
    await uow.pairs.supersede_proposals(program_id, uow.clock.now())
    created_at = uow.clock.now()
    fresh = [p for p in result.pairs if not p.pinned]
    pairs = [_new_pair(program, run_id, p, by_id, created_at) for p in fresh]
    await uow.pairs.put_many(pairs)
    unmatched_mentees = Counter(u.reason.value for u in result.unmatched if u.role == "mentee")
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
        unmatched_mentees=unmatched_mentees.total(),
        unmatched_by_reason=dict(unmatched_mentees),
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


@dataclass(frozen=True)
class Suggestion:
    """One possible partner for self-match, with both people's ids and the score's reasons."""

    mentor_enrollment_id: str
    mentee_enrollment_id: str
    mentor_employee_id: str
    mentee_employee_id: str
    breakdown: ScoreBreakdown


async def suggest(
    program_id: str, employee_id: str, k: int, caller: Principal, uow: PairingUnitOfWork
) -> list[Suggestion]:
    """Self-match: for an enrolled mentee, the k best mentors with free places; for an
    enrolled mentor with free places, the k best mentees not yet in an active pair."""
    program = await get_program(program_id, uow)
    require_self_or_manager(caller, program, employee_id)
    enrollment = await uow.enrollments.active_of(program_id, employee_id)
    if enrollment is None:
        raise NotFound(f"{employee_id} is not enrolled in program {program_id}")
    everyone = await uow.enrollments.active_in(program_id)
    active = await uow.pairs.in_program(program_id, [PairStatus.ACTIVE])
    taken = Counter(pair.mentor_enrollment_id for pair in active)
    if enrollment.role is Role.MENTEE:
        others = [
            e for e in everyone if e.role is Role.MENTOR and taken[e.enrollment_id] < e.capacity
        ]
    elif taken[enrollment.enrollment_id] >= enrollment.capacity:
        return []
    else:
        paired = {pair.mentee_enrollment_id for pair in active}
        others = [e for e in everyone if e.role is Role.MENTEE and e.enrollment_id not in paired]
    people = await _participants(uow, program, [*others, enrollment])
    me = next((p for p in people if p.enrollment_id == enrollment.enrollment_id), None)
    if me is None:  # left the company since enrolling
        return []
    rest = tuple(p for p in people if p is not me)
    if enrollment.role is Role.MENTEE:
        problem = MatchingProblem(rest, (me,), program.weights, program.rules)
        found = await asyncio.to_thread(suggest_mentors, problem, me, k)
    else:
        problem = MatchingProblem((me,), rest, program.weights, program.rules)
        found = await asyncio.to_thread(suggest_mentees, problem, me, k)
    employee_of = {p.enrollment_id: p.employee_id for p in people}
    return [
        Suggestion(
            s.mentor_enrollment_id,
            s.mentee_enrollment_id,
            employee_of[s.mentor_enrollment_id],
            employee_of[s.mentee_enrollment_id],
            s.breakdown,
        )
        for s in found
    ]


async def _participants(
    uow: PairingUnitOfWork, program: Program, enrollments: list[Enrollment]
) -> list[Participant]:
    """Enrollments joined with the HR projection; people who left are skipped. Ordered by
    employee id: the engine breaks ties by input order, so the same people give the same pairs
    whatever ids their enrollments were given."""
    employees = await uow.employees.get_many(e.employee_id for e in enrollments)
    managers = await uow.employees.manager_map(employees)
    spans = regimes(
        (e.availability.time_zone for e in enrollments), program.starts_on, program.ends_on
    )
    out = []
    for e in sorted(enrollments, key=lambda e: e.employee_id):
        person = employees.get(e.employee_id)
        if person is None or not person.active:
            continue
        chain = reporting_chain(e.employee_id, managers)
        out.append(to_participant(person, e, chain, spans))
    return out


MEETS_TOGETHER = (ProgramFormat.GROUP, ProgramFormat.WORKSHOP)
"""Formats whose mentor meets all their mentees at once: the pairs share a `group_id`."""


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
        group_id=f"grp-{mentor.enrollment_id}" if program.format in MEETS_TOGETHER else None,
        mentor_enrollment_id=mentor.enrollment_id,
        mentee_enrollment_id=mentee.enrollment_id,
        mentor_id=mentor.employee_id,
        mentee_id=mentee.employee_id,
        breakdown=proposed.breakdown,
        created_at=at,
    )
    if not program.auto_accept:
        return pair
    return pair.activate(at, pair_terms(program, mentor, mentee, at.date()))
