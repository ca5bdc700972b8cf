"""Program KPIs from the facts: pure functions, each defined once (the README repeats the
definitions; an independent oracle in the tests recomputes them from the raw events).

Figures from people's answers (feedback ratings and completion, MQS, NPS) follow the anonymity
rule (`tandem_contracts.anonymity`): below k people they are suppressed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel

from tandem_contracts.anonymity import Figure, figure, latest_only, net_promoter, per_person
from tandem_metrics.domain.facts import (
    AssessmentFact,
    EmployeeFact,
    EnrollmentFact,
    FeedbackFact,
    GoalFact,
    PairFact,
    ProgramFact,
    SessionFact,
    SurveyAnswerFact,
)

SIDES = ("mentor", "mentee")
STATUSES = ("scheduled", "held", "missed", "cancelled", "unschedulable")
PROGRAM_CLOSED_REASONS = frozenset({"completed", "program_closed"})
TIME_TO_MATCH_BUCKETS_S = (3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0, 14 * 86400.0, 30 * 86400.0)


class Ratio(BaseModel):
    numerator: int
    denominator: int
    value: float | None
    """numerator ÷ denominator; None when the denominator is 0."""


def ratio(numerator: int, denominator: int) -> Ratio:
    value = round(numerator / denominator, 6) if denominator else None
    return Ratio(numerator=numerator, denominator=denominator, value=value)


class SideFeedback(BaseModel):
    requested: int
    """Held sessions this side was asked about."""
    completion: Figure
    """Feedback given ÷ asked for, over the people asked (anonymity rule)."""
    rating: Figure
    """Mean rating 1-5 (anonymity rule)."""
    rating_distribution: dict[int, int] | None
    """How many answers gave each rating 1-5; None while the rating is suppressed."""


class Retention(BaseModel):
    participants: Ratio
    """Enrolled employees who departed during the program ÷ enrolled employees."""
    others: Ratio
    """Other employees who departed during the program ÷ other employees active at its start."""
    delta: float | None
    """participants - others (negative: participants stay more)."""


class TopicDelta(BaseModel):
    topic_name: str
    self_delta: Figure
    """Mean final - baseline level of the mentees' own view, over the topics assessed at both."""
    partner_delta: Figure
    """The same from the mentors' view of their mentees."""


class WeekPoint(BaseModel):
    week_starts_on: date
    """Weeks count from the program's first day (UTC)."""
    sessions_held: int
    cadence_adherence: float | None
    """Cadence adherence as it stood at the end of the week (None before any window ended)."""


class ProgramKpis(BaseModel):
    program_id: str
    computed_at: datetime
    anonymity_threshold: int
    participation: Ratio
    match_rate: Ratio
    time_to_match_seconds: list[float]
    acceptance_rate: Ratio
    active_pairs: int
    ended_pairs_by_reason: dict[str, int]
    early_closure_rate: Ratio
    sessions: dict[str, int]
    session_completion: Ratio
    cadence_adherence: Ratio
    mentoring_seconds: float
    feedback: dict[str, SideFeedback]
    mqs: Figure
    nps: Figure
    goal_completion: Figure
    """Per goal owner, the share of their goals achieved, averaged (anonymity rule)."""
    competence: list[TopicDelta]
    retention: Retention
    weeks: list[WeekPoint]
    """The program's weeks up to now: sessions held, and cadence adherence over time."""


@dataclass(frozen=True)
class ProgramFacts:
    program: ProgramFact
    enrollments: list[EnrollmentFact]
    pairs: list[PairFact]
    sessions: list[SessionFact]
    feedback: list[FeedbackFact]
    answers: list[SurveyAnswerFact]
    employees: list[EmployeeFact]
    goals: list[GoalFact]
    assessments: list[AssessmentFact]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def compute(facts: ProgramFacts, now: datetime, k: int) -> ProgramKpis:
    pairs = [p for p in facts.pairs if p.created_at is not None]
    feedback = {side: _side(side, facts, pairs, k) for side in SIDES}
    return ProgramKpis(
        program_id=facts.program.program_id,
        computed_at=now,
        anonymity_threshold=k,
        participation=_participation(facts, now),
        match_rate=_match_rate(facts.enrollments, pairs),
        time_to_match_seconds=_time_to_match(facts.enrollments, pairs),
        acceptance_rate=_acceptance(facts.pairs),
        active_pairs=sum(1 for p in pairs if p.ended_at is None),
        ended_pairs_by_reason=dict(
            sorted(Counter(p.end_reason or "" for p in pairs if p.ended_at is not None).items())
        ),
        early_closure_rate=_early_closure(facts.program, pairs),
        sessions=_session_counts(facts.sessions),
        session_completion=_completion(facts.sessions, now),
        cadence_adherence=_cadence(pairs, facts.sessions, now),
        mentoring_seconds=60.0 * sum(s.held_minutes or 0 for s in facts.sessions if s.held_at),
        feedback=feedback,
        mqs=figure(_answers(facts.answers, pairs, "mqs"), k),
        nps=figure(latest_only(_answers(facts.answers, pairs, "nps")), k, net_promoter),
        goal_completion=_goals(facts.goals, pairs, k),
        competence=_competence(facts.assessments, pairs, k),
        retention=_retention(facts, now),
        weeks=_weeks(facts.program, pairs, facts.sessions, now),
    )


def _active_employees(employees: list[EmployeeFact], on: date) -> set[str]:
    return {
        e.employee_id
        for e in employees
        if e.hired_on is not None
        and e.hired_on <= on
        and (e.departed_on is None or e.departed_on > on)
    }


def _enrolled(enrollments: list[EnrollmentFact], role: str | None = None) -> set[str]:
    return {
        e.employee_id
        for e in enrollments
        if e.employee_id is not None
        and e.enrolled_at is not None
        and e.withdrawn_at is None
        and (role is None or e.role == role)
    }


def _participation(facts: ProgramFacts, now: datetime) -> Ratio:
    """Enrolled employees (not withdrawn) ÷ employees HR lists as active today."""
    active = _active_employees(facts.employees, now.date())
    return ratio(len(_enrolled(facts.enrollments) & active), len(active))


def _match_rate(enrollments: list[EnrollmentFact], pairs: list[PairFact]) -> Ratio:
    """Mentees in a pair ÷ mentees enrolled (not withdrawn, or matched before withdrawing)."""
    matched = {p.mentee_id for p in pairs if p.mentee_id is not None}
    enrolled = _enrolled(enrollments, "mentee") | matched
    return ratio(len(matched & enrolled), len(enrolled))


def _time_to_match(enrollments: list[EnrollmentFact], pairs: list[PairFact]) -> list[float]:
    """Per pair: its creation - its mentee's enrollment, in seconds (pairs whose enrollment is
    known), sorted."""
    enrolled_at = {e.enrollment_id: e.enrolled_at for e in enrollments}
    found = []
    for p in pairs:
        at = enrolled_at.get(p.mentee_enrollment_id or "")
        if at is not None and p.created_at is not None:
            found.append(max((p.created_at - at).total_seconds(), 0.0))
    return sorted(found)


def _acceptance(pairs: list[PairFact]) -> Ratio:
    """Proposals accepted (became pairs) ÷ proposals decided (accepted or declined)."""
    accepted = sum(1 for p in pairs if p.created_at is not None)
    declined = sum(1 for p in pairs if p.declined_at is not None and p.created_at is None)
    return ratio(accepted, accepted + declined)


def _early_closure(program: ProgramFact, pairs: list[PairFact]) -> Ratio:
    """Pairs ended before the program's last day for a reason other than its close ÷ pairs."""
    early = 0
    for p in pairs:
        if p.ended_at is None or p.end_reason in PROGRAM_CLOSED_REASONS:
            continue
        end = program.ends_on or p.ends_on
        if end is None or p.ended_at < midnight(end + timedelta(days=1)):
            early += 1
    return ratio(early, len(pairs))


def _session_counts(sessions: list[SessionFact]) -> dict[str, int]:
    counts = Counter(s.status for s in sessions if s.status is not None)
    return {status: counts.get(status, 0) for status in STATUSES}


def _completion(sessions: list[SessionFact], now: datetime) -> Ratio:
    """Held ÷ due: sessions not cancelled whose start has passed (held, missed, or still
    awaiting their account)."""
    due = [
        s
        for s in sessions
        if s.status in ("held", "missed")
        or (s.status == "scheduled" and s.starts_at is not None and s.starts_at <= now)
    ]
    return ratio(sum(1 for s in due if s.status == "held"), len(due))


def _cadence(pairs: list[PairFact], sessions: list[SessionFact], now: datetime) -> Ratio:
    """Complete cadence windows of the pairs (every `cadence_weeks` from the pair's first day,
    up to now and the pair's end) with a held session ÷ all such windows."""
    held: dict[str, list[datetime]] = defaultdict(list)
    for s in sessions:
        if s.held_at is not None and s.pair_id is not None:
            held[s.pair_id].append(s.held_at)
    windows = with_session = 0
    for p in pairs:
        if p.starts_on is None or p.ends_on is None or not p.cadence_weeks:
            continue
        step = timedelta(weeks=p.cadence_weeks)
        last = min(now, midnight(p.ends_on + timedelta(days=1)), p.ended_at or now)
        start = midnight(p.starts_on)
        while start + step <= last:
            windows += 1
            if any(start <= at < start + step for at in held[p.pair_id]):
                with_session += 1
            start += step
    return ratio(with_session, windows)


def _members(pairs: list[PairFact]) -> dict[str, dict[str, str | None]]:
    return {p.pair_id: {"mentor": p.mentor_id, "mentee": p.mentee_id} for p in pairs}


def _side(side: str, facts: ProgramFacts, pairs: list[PairFact], k: int) -> SideFeedback:
    members = _members(pairs)
    given = {(f.session_id, f.role): f for f in facts.feedback}
    asked: dict[str, list[float]] = defaultdict(list)
    ratings: dict[str, list[float]] = defaultdict(list)
    counts: Counter[int] = Counter()
    requested = 0
    for s in facts.sessions:
        person = members.get(s.pair_id or "", {}).get(side)
        if not s.feedback_requested or person is None:
            continue
        requested += 1
        answer = given.get((s.session_id, side))
        asked[person].append(1.0 if answer else 0.0)
        if answer is not None:
            ratings[person].append(float(answer.rating))
            counts[answer.rating] += 1
    rating = figure(ratings, k)
    return SideFeedback(
        requested=requested,
        completion=figure(asked, k),
        rating=rating,
        rating_distribution=None if rating.suppressed else {n: counts[n] for n in range(1, 6)},
    )


def _weeks(
    program: ProgramFact, pairs: list[PairFact], sessions: list[SessionFact], now: datetime
) -> list[WeekPoint]:
    if program.starts_on is None:
        return []
    points: list[WeekPoint] = []
    start = midnight(program.starts_on)
    last = min(now, midnight((program.ends_on or now.date()) + timedelta(days=1)))
    held = [s.held_at for s in sessions if s.held_at is not None]
    while start < last:
        end = start + timedelta(weeks=1)
        points.append(
            WeekPoint(
                week_starts_on=start.date(),
                sessions_held=sum(1 for at in held if start <= at < end),
                cadence_adherence=_cadence(pairs, sessions, min(end, now)).value,
            )
        )
        start = end
    return points


def _answers(
    answers: list[SurveyAnswerFact], pairs: list[PairFact], kind: str
) -> dict[str, list[float]]:
    """Scores by the person who gave them (the pair's member on that side), oldest first."""
    members = _members(pairs)
    by_person: dict[str, list[float]] = defaultdict(list)
    for a in sorted(answers, key=lambda a: (a.answered_at, a.answer_key)):
        person = members.get(a.pair_id, {}).get(a.role)
        if a.kind == kind and person is not None:
            by_person[person].append(float(a.score))
    return by_person


def _goals(goals: list[GoalFact], pairs: list[PairFact], k: int) -> Figure:
    members = _members(pairs)
    shares: dict[str, list[float]] = defaultdict(list)
    for g in goals:
        owner = members.get(g.pair_id, {}).get(g.owner_role)
        if owner is not None:
            shares[owner].append(1.0 if g.achieved else 0.0)
    return figure(per_person(shares), k)


def _competence(
    assessments: list[AssessmentFact], pairs: list[PairFact], k: int
) -> list[TopicDelta]:
    members = _members(pairs)
    level = {(a.pair_id, a.topic_name, a.phase, a.role): a.level for a in assessments}
    deltas: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (pair, topic, phase, role), final in sorted(level.items()):
        baseline = level.get((pair, topic, "baseline", role))
        assessor = members.get(pair, {}).get(role)
        if phase == "final" and baseline is not None and assessor is not None:
            deltas[topic, role][assessor].append(float(final - baseline))
    topics = sorted({a.topic_name for a in assessments if a.pair_id in members})
    return [
        TopicDelta(
            topic_name=t,
            self_delta=figure(deltas[t, "mentee"], k),
            partner_delta=figure(deltas[t, "mentor"], k),
        )
        for t in topics
    ]


def _retention(facts: ProgramFacts, now: datetime) -> Retention:
    """Departure rates during the program (its first day to its last, or today if earlier)."""
    program = facts.program
    if program.starts_on is None:
        empty = ratio(0, 0)
        return Retention(participants=empty, others=empty, delta=None)
    first = program.starts_on
    last = min(program.ends_on or now.date(), now.date())
    at_start = _active_employees(facts.employees, first)
    departed = {
        e.employee_id
        for e in facts.employees
        if e.departed_on is not None and first <= e.departed_on <= last
    }
    enrolled = (
        _enrolled(facts.enrollments)
        | {p.mentor_id for p in facts.pairs if p.mentor_id}
        | {p.mentee_id for p in facts.pairs if p.mentee_id}
    )
    participants = enrolled & (at_start | departed)
    others = at_start - enrolled
    mine, theirs = (
        ratio(len(participants & departed), len(participants)),
        ratio(len(others & departed), len(others)),
    )
    delta = (
        None if mine.value is None or theirs.value is None else round(mine.value - theirs.value, 6)
    )
    return Retention(participants=mine, others=theirs, delta=delta)
