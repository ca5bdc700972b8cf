"""The anonymity rule as properties: no figure is ever shown from fewer than k people, and a
shown figure says exactly how many people it came from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from tandem_contracts.anonymity import Figure, figure, net_promoter, per_person
from tandem_contracts.events import AssessmentPhase, SurveyKind
from tandem_contracts.values import Role
from tandem_feedback.domain.assessments import AssessmentAnswer, AssessmentRound, TopicLevel
from tandem_feedback.domain.checkpoints import WindowStatus
from tandem_feedback.domain.reports import build_report
from tandem_feedback.domain.sessions import FeedbackEntry, SessionFeedback
from tandem_feedback.domain.surveys import Survey, SurveyAnswer

AT = datetime(2027, 3, 1, tzinfo=UTC)
PEOPLE = [f"e{n}" for n in range(12)]
TOPICS = ("ai_tools", "agile")


def figures(node: Any) -> list[Figure]:
    """Every Figure anywhere in a report."""
    if isinstance(node, Figure):
        return [node]
    if isinstance(node, BaseModel):
        return [f for _, v in node for f in figures(v)]
    if isinstance(node, dict):
        return [f for v in node.values() for f in figures(v)]
    if isinstance(node, list | tuple):
        return [f for v in node for f in figures(v)]
    return []


values_by_person = st.dictionaries(
    st.sampled_from(PEOPLE), st.lists(st.integers(0, 10), max_size=4), max_size=12
)


@given(values_by_person, st.integers(3, 8))
def test_a_figure_needs_k_people_and_counts_them(by_person: dict[str, list[int]], k: int) -> None:
    shown = figure({p: [float(v) for v in vs] for p, vs in by_person.items()}, k)
    people = sum(1 for vs in by_person.values() if vs)
    if people < k:
        assert shown == Figure(value=None, respondents=None, suppressed=True)
    else:
        assert not shown.suppressed
        assert shown.respondents == people
        everything = [v for vs in by_person.values() for v in vs]
        assert shown.value == pytest.approx(sum(everything) / len(everything), abs=1e-4)


def test_the_threshold_cannot_go_below_three() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        figure({"a": [1.0]}, 2)


def test_shares_count_each_person_once() -> None:
    """One mentor answered 10 of 10 sessions, four answered 0 of 1: per person, 0.2."""
    asked = {"a": [1.0] * 10, "b": [0.0], "c": [0.0], "d": [0.0], "e": [0.0]}
    assert figure(per_person(asked), 5).value == pytest.approx(0.2)


def test_net_promoter_score() -> None:
    assert net_promoter([10, 9, 8, 7, 0]) == pytest.approx(100 * (2 - 1) / 5)
    assert net_promoter([6, 6]) == -100


@st.composite
def programs(draw: st.DrawFn) -> dict[str, Any]:
    """Random pairs among a small staff (people in several pairs), with random answers."""
    count = draw(st.integers(1, 9))
    pairs = []
    for n in range(count):
        mentor, mentee = draw(
            st.lists(st.sampled_from(PEOPLE), min_size=2, max_size=2, unique=True)
        )
        pairs.append((f"p{n}", mentor, mentee))
    sessions, rounds, surveys = [], [], []
    for pair_id, mentor, mentee in pairs:
        who = {Role.MENTOR: mentor, Role.MENTEE: mentee}
        for s in range(draw(st.integers(0, 3))):
            entries = {
                role: FeedbackEntry(
                    feedback_id=f"f{pair_id}{s}{role}",
                    author_id=who[role],
                    rating=draw(st.integers(1, 5)),
                    usefulness=draw(st.integers(1, 5)),
                    submitted_at=AT,
                )
                for role in draw(st.sets(st.sampled_from(list(Role))))
            }
            sessions.append(
                SessionFeedback(
                    session_id=f"{pair_id}-s{s}",
                    pair_id=pair_id,
                    program_id="prog",
                    held_at=AT,
                    mentor_id=mentor,
                    mentee_id=mentee,
                    requested_at=AT,
                    entries=entries,
                )
            )
        for phase in draw(st.sets(st.sampled_from(list(AssessmentPhase)))):
            answers = {
                role: AssessmentAnswer(
                    assessor_id=who[role],
                    levels=tuple(
                        TopicLevel(topic_name=t, level=draw(st.integers(1, 5))) for t in TOPICS
                    ),
                    submitted_at=AT,
                    late=draw(st.booleans()),
                )
                for role in draw(st.sets(st.sampled_from(list(Role))))
            }
            rounds.append(
                AssessmentRound(
                    round_id=f"{pair_id}.{phase.value}",
                    pair_id=pair_id,
                    program_id="prog",
                    mentor_id=mentor,
                    mentee_id=mentee,
                    phase=phase,
                    topics=TOPICS,
                    opens_at=AT,
                    due_at=AT + timedelta(days=14),
                    status=WindowStatus.OPEN,
                    answers=answers,
                )
            )
        for kind in draw(st.sets(st.sampled_from(list(SurveyKind)))):
            low = 1 if kind is SurveyKind.MQS else 0
            high = 5 if kind is SurveyKind.MQS else 10
            replies = {
                role: SurveyAnswer(
                    respondent_id=who[role], score=draw(st.integers(low, high)), answered_at=AT
                )
                for role in draw(st.sets(st.sampled_from(list(Role))))
            }
            surveys.append(
                Survey(
                    survey_id=f"{pair_id}.{kind.value}.1",
                    pair_id=pair_id,
                    program_id="prog",
                    mentor_id=mentor,
                    mentee_id=mentee,
                    kind=kind,
                    sequence=1,
                    opens_at=AT,
                    closes_at=AT + timedelta(days=14),
                    status=WindowStatus.OPEN,
                    answers=replies,
                )
            )
    return {"pairs": len(pairs), "sessions": sessions, "rounds": rounds, "surveys": surveys}


@settings(max_examples=150, deadline=None)
@given(programs(), st.integers(3, 8))
def test_no_report_figure_is_ever_computed_over_fewer_than_k_people(
    program: dict[str, Any], k: int
) -> None:
    report = build_report(program_id="prog", pair_id=None, k=k, sheets=[], **program)
    shown = figures(report)
    assert shown, "the report has figures"
    for f in shown:
        if f.suppressed:
            assert (f.value, f.respondents) == (None, None)
        else:
            assert f.value is not None
            assert f.respondents is not None
            assert f.respondents >= k
    # independently counted: the people who rated as mentees, and their mean rating
    raters = {
        s.entries[Role.MENTEE].author_id for s in program["sessions"] if Role.MENTEE in s.entries
    }
    rating = report.feedback[Role.MENTEE].rating
    assert rating.suppressed == (len(raters) < k)
    if not rating.suppressed:
        assert rating.respondents == len(raters)
        assert report.feedback[Role.MENTEE].rating_distribution is not None
    else:
        assert report.feedback[Role.MENTEE].rating_distribution is None
