"""Reports over a pair's or a program's answers: averages, completion, competence deltas,
MQS, NPS and goal completion, every answer-derived figure under the anonymity rule."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from tandem_contracts.anonymity import (
    Figure,
    figure,
    latest_only,
    net_promoter,
    per_person,
)
from tandem_contracts.events import AssessmentPhase, SurveyKind
from tandem_contracts.values import Role
from tandem_feedback.domain.assessments import AssessmentRound
from tandem_feedback.domain.checkpoints import WindowStatus
from tandem_feedback.domain.goals import GoalSheet
from tandem_feedback.domain.sessions import SessionFeedback
from tandem_feedback.domain.surveys import Survey

PHASES = (AssessmentPhase.BASELINE, AssessmentPhase.MIDPOINT, AssessmentPhase.FINAL)


class SideFeedback(BaseModel):
    requested: int
    """Held sessions this side was asked about (a count of sessions, not of answers)."""
    completion: Figure
    """Per person asked: the share of their sessions they gave feedback on; averaged."""
    rating: Figure
    usefulness: Figure
    rating_distribution: dict[int, int] | None
    """How many answers gave each rating 1-5; None while the rating is suppressed."""


class ViewCompetence(BaseModel):
    baseline: Figure
    midpoint: Figure
    final: Figure
    delta: Figure
    """final - baseline, over the topics assessed at both."""


class TopicCompetence(BaseModel):
    topic_name: str
    self_view: ViewCompetence
    """The mentees' assessments of themselves."""
    partner_view: ViewCompetence
    """The mentors' assessments of their mentees."""


class AssessmentCompletion(BaseModel):
    phase: AssessmentPhase
    opened: int
    """Rounds of this phase that opened (pairs asked)."""
    completion: Figure
    """Per person asked: the share of their rounds they answered."""
    late: Figure
    """Per person who answered: the share of their answers given late."""


class SurveyFigures(BaseModel):
    mqs: Figure
    """Mean Mentoring Quality Score, 1-5."""
    nps: Figure
    """Net Promoter Score, -100..100, each person's latest answer."""


class GoalFigures(BaseModel):
    goals: int
    """Goals set (a count of goals, not of answers)."""
    completion: Figure
    """Per goal owner: the share of their goals achieved."""
    milestones: Figure
    """Per goal owner: the share of their milestones reached."""


class Report(BaseModel):
    program_id: str
    pair_id: str | None = None
    anonymity_threshold: int
    pairs: int
    sessions_held: int
    feedback: dict[Role, SideFeedback]
    assessments: list[AssessmentCompletion]
    competence: list[TopicCompetence]
    surveys: SurveyFigures
    goals: GoalFigures


@dataclass
class _People:
    """Values per person, for one figure."""

    values: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, person: str, value: float) -> None:
        self.values[person].append(value)

    def count(self, person: str) -> None:
        """The person is asked but has no value yet (keeps the key for completion shares)."""
        self.values.setdefault(person, [])


def build_report(
    *,
    program_id: str,
    pair_id: str | None,
    k: int,
    pairs: int,
    sessions: Iterable[SessionFeedback],
    rounds: Iterable[AssessmentRound],
    surveys: Iterable[Survey],
    sheets: Iterable[GoalSheet],
) -> Report:
    sessions = list(sessions)
    return Report(
        program_id=program_id,
        pair_id=pair_id,
        anonymity_threshold=k,
        pairs=pairs,
        sessions_held=len(sessions),
        feedback={role: _side(role, sessions, k) for role in (Role.MENTOR, Role.MENTEE)},
        assessments=_assessment_completion(list(rounds), k),
        competence=_competence(list(rounds), k),
        surveys=_surveys(list(surveys), k),
        goals=_goals(list(sheets), k),
    )


def _side(role: Role, sessions: list[SessionFeedback], k: int) -> SideFeedback:
    asked: dict[str, list[float]] = defaultdict(list)
    ratings, usefulness = _People(), _People()
    distribution: Counter[int] = Counter()
    requested = 0
    for s in sessions:
        person = s.mentor_id if role is Role.MENTOR else s.mentee_id
        if not s.requested or person is None:
            continue
        requested += 1
        entry = s.entries.get(role)
        asked[person].append(1.0 if entry else 0.0)
        if entry is not None:
            ratings.add(person, entry.rating)
            usefulness.add(person, entry.usefulness)
            distribution[entry.rating] += 1
    rating = figure(ratings.values, k)
    return SideFeedback(
        requested=requested,
        completion=figure(per_person(asked), k),
        rating=rating,
        usefulness=figure(usefulness.values, k),
        rating_distribution=None
        if rating.suppressed
        else {n: distribution.get(n, 0) for n in range(1, 6)},
    )


def _assessment_completion(rounds: list[AssessmentRound], k: int) -> list[AssessmentCompletion]:
    result = []
    for phase in PHASES:
        opened = [
            r for r in rounds if r.phase is phase and (r.status is WindowStatus.OPEN or r.answers)
        ]
        asked: dict[str, list[float]] = defaultdict(list)
        late = _People()
        for r in opened:
            for role in (Role.MENTOR, Role.MENTEE):
                answer = r.answers.get(role)
                asked[r.member(role)].append(1.0 if answer else 0.0)
                if answer is not None:
                    late.add(answer.assessor_id, 1.0 if answer.late else 0.0)
        result.append(
            AssessmentCompletion(
                phase=phase,
                opened=len(opened),
                completion=figure(per_person(asked), k),
                late=figure(per_person(late.values), k),
            )
        )
    return result


def _competence(rounds: list[AssessmentRound], k: int) -> list[TopicCompetence]:
    # (topic, role) → phase → person → levels; and (topic, role) → person → deltas
    levels: dict[tuple[str, Role, AssessmentPhase], _People] = defaultdict(_People)
    given: dict[tuple[str, str, Role, AssessmentPhase], tuple[str, int]] = {}
    topics: list[str] = []
    for (
        r
    ) in rounds:  # every round's topics, answered or not: a topic list must not say who answered
        topics.extend(t for t in r.topics if t not in topics)
        for role, answer in r.answers.items():
            for item in answer.levels:
                levels[item.topic_name, role, r.phase].add(answer.assessor_id, item.level)
                given[r.pair_id, item.topic_name, role, r.phase] = (answer.assessor_id, item.level)
    deltas: dict[tuple[str, Role], _People] = defaultdict(_People)
    for (pair, topic, role, phase), (assessor, level) in given.items():
        if phase is not AssessmentPhase.FINAL:
            continue
        baseline = given.get((pair, topic, role, AssessmentPhase.BASELINE))
        if baseline is not None:
            deltas[topic, role].add(assessor, level - baseline[1])

    def view(topic: str, role: Role) -> ViewCompetence:
        return ViewCompetence(
            baseline=figure(levels[topic, role, AssessmentPhase.BASELINE].values, k),
            midpoint=figure(levels[topic, role, AssessmentPhase.MIDPOINT].values, k),
            final=figure(levels[topic, role, AssessmentPhase.FINAL].values, k),
            delta=figure(deltas[topic, role].values, k),
        )

    return [
        TopicCompetence(
            topic_name=t, self_view=view(t, Role.MENTEE), partner_view=view(t, Role.MENTOR)
        )
        for t in sorted(topics)
    ]


def _surveys(surveys: list[Survey], k: int) -> SurveyFigures:
    mqs, nps = _People(), _People()
    for s in sorted(surveys, key=lambda s: s.opens_at):
        for answer in s.answers.values():
            (mqs if s.kind is SurveyKind.MQS else nps).add(answer.respondent_id, answer.score)
    return SurveyFigures(
        mqs=figure(mqs.values, k), nps=figure(latest_only(nps.values), k, net_promoter)
    )


def _goals(sheets: list[GoalSheet], k: int) -> GoalFigures:
    achieved, milestones = _People(), _People()
    count = 0
    for sheet in sheets:
        for goal in sheet.goals:
            count += 1
            owner = sheet.mentor_id if goal.owner_role is Role.MENTOR else sheet.mentee_id
            achieved.add(owner, 1.0 if goal.achieved_at else 0.0)
            for m in goal.milestones:
                milestones.add(owner, 1.0 if m.done_at else 0.0)
    return GoalFigures(
        goals=count,
        completion=figure(per_person(achieved.values), k),
        milestones=figure(per_person(milestones.values), k),
    )
