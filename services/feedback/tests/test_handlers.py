"""Use cases over the hand-written fake unit of work: who may give, read and change what, and
what is refused with which answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tandem_contracts.events import (
    AssessmentPhase,
    CompetenceAssessed,
    FeedbackRequested,
    FeedbackSubmitted,
    GoalAchieved,
    GoalProgressed,
    GoalSet,
    SurveyAnswered,
)
from tandem_contracts.values import Role
from tandem_feedback.service import assessments, feedback, goals, privacy, reports, surveys
from tandem_feedback.service.commands import (
    AnswerSurvey,
    GoalInput,
    LevelInput,
    MilestoneInput,
    SubmitAssessment,
    SubmitFeedback,
)
from tandem_servicekit.errors import Conflict, Forbidden, InvalidRequest, NotFound
from tandem_servicekit.repository import Paging

from .builders import OPS_CALLER, OTHER_PM, PM, held, me, opened, pair_created
from .fakes import FakeFeedbackUnitOfWork
from .support import advance, consume, new_uow

MENTOR, MENTEE = me("mentor"), me("mentee")
GOOD = SubmitFeedback(rating=5, usefulness=4, comment="Anna showed me prompt patterns")
BOTH_TOPICS = SubmitAssessment(
    levels=(
        LevelInput(topic_name="ai_tools", level=2),
        LevelInput(topic_name="social_media", level=3),
    )
)


async def paired() -> FakeFeedbackUnitOfWork:
    uow = new_uow()
    await consume(uow, opened(), pair_created(), held("s1"))
    return uow


async def test_each_member_gives_feedback_once_and_the_event_has_no_words() -> None:
    uow = await paired()
    given = await feedback.submit("s1", GOOD, MENTEE, uow)
    assert (given.author_role, given.comment) == (Role.MENTEE, GOOD.comment)
    [event] = [e for e in uow.published if isinstance(e, FeedbackSubmitted)]
    assert (event.rating, event.usefulness, event.commented) == (5, 4, True)
    assert "prompt patterns" not in event.model_dump_json()
    with pytest.raises(Conflict, match="already"):
        await feedback.submit("s1", GOOD, MENTEE, uow)
    await feedback.submit("s1", SubmitFeedback(rating=3, usefulness=3), MENTOR, uow)
    assert (await feedback.own("s1", MENTOR, uow)).rating == 3


async def test_feedback_is_refused_for_strangers_managers_and_sessions_not_held() -> None:
    uow = await paired()
    with pytest.raises(Forbidden):
        await feedback.submit("s1", GOOD, me("someone"), uow)
    with pytest.raises(Forbidden):
        await feedback.submit("s1", GOOD, PM, uow)
    with pytest.raises(NotFound, match="held"):
        await feedback.submit("never-held", GOOD, MENTEE, uow)
    with pytest.raises(NotFound):
        await feedback.own("s1", MENTEE, uow)  # not given yet


async def test_a_session_held_before_its_pair_is_known_is_requested_when_the_pair_arrives() -> None:
    uow = new_uow()
    await consume(uow, held("s9", pair_id="p9"))
    assert not [e for e in uow.published if isinstance(e, FeedbackRequested)]
    with pytest.raises(NotFound):  # for anyone: nothing says the session exists
        await feedback.submit("s9", GOOD, MENTEE, uow)
    await consume(uow, pair_created("p9"))
    [request] = [e for e in uow.published if isinstance(e, FeedbackRequested)]
    assert request.session_id == "s9"
    await feedback.submit("s9", GOOD, MENTEE, uow)


async def test_own_listing_is_for_the_person_only() -> None:
    uow = await paired()
    await feedback.submit("s1", GOOD, MENTEE, uow)
    page = await feedback.given_by("mentee", Paging(), MENTEE, uow)
    assert [i.session_id for i in page.items] == ["s1"]
    assert (await feedback.given_by("mentor", Paging(), MENTOR, uow)).total == 0
    with pytest.raises(Forbidden):
        await feedback.given_by("mentee", Paging(), MENTOR, uow)


async def test_goals_each_member_their_own_with_progress_and_achievement() -> None:
    uow = await paired()
    goal = await goals.add(
        "p1",
        GoalInput(
            topic_name="ai_tools",
            description="Write my own prompts for board memos",
            target_level=4,
            milestones=(MilestoneInput(title="First memo", due_on=date(2027, 2, 1)),),
        ),
        MENTEE,
        uow,
    )
    mentor_goal = await goals.add(
        "p1", GoalInput(description="Understand how the board decides", target_level=3), MENTOR, uow
    )
    assert mentor_goal.topic_name is None
    assert mentor_goal.owner_role is Role.MENTOR
    with pytest.raises(InvalidRequest, match="topic_name"):
        await goals.add("p1", GoalInput(description="x", target_level=3), MENTEE, uow)
    with pytest.raises(InvalidRequest, match="topic_name"):
        await goals.add(
            "p1", GoalInput(topic_name="knitting", description="x", target_level=3), MENTEE, uow
        )
    with pytest.raises(Forbidden):
        await goals.achieve("p1", goal.goal_id, MENTOR, uow)
    with pytest.raises(Forbidden):
        await goals.goal_sheet("p1", PM, uow)  # goal texts are the pair's own
    [milestone] = goal.milestones
    edited = await goals.edit(
        "p1",
        goal.goal_id,
        GoalInput(
            topic_name="ai_tools",
            description="Prompts for memos and mails",
            target_level=5,
            milestones=(
                MilestoneInput(milestone_id=milestone.milestone_id, title="First memo"),
                MilestoneInput(title="First mail"),
            ),
        ),
        MENTEE,
        uow,
    )
    assert edited.revision == 2
    assert len(edited.milestones) == 2
    twice = MilestoneInput(milestone_id=milestone.milestone_id, title="again")
    with pytest.raises(InvalidRequest, match=r"milestones\.1\.milestone_id"):
        await goals.edit(
            "p1",
            goal.goal_id,
            GoalInput(
                topic_name="ai_tools", description="d", target_level=3, milestones=(twice, twice)
            ),
            MENTEE,
            uow,
        )
    for _ in range(2):  # the second time changes nothing
        await goals.complete_milestone("p1", goal.goal_id, milestone.milestone_id, MENTEE, uow)
        await goals.achieve("p1", goal.goal_id, MENTEE, uow)
    sets = [e for e in uow.published if isinstance(e, GoalSet)]
    assert [(e.revision, e.milestones) for e in sets if e.goal_id == goal.goal_id] == [
        (1, 1),
        (2, 2),
    ]
    assert all("memo" not in e.model_dump_json() for e in uow.published)
    [progress] = [e for e in uow.published if isinstance(e, GoalProgressed)]
    assert (progress.milestones_done, progress.milestones_total) == (1, 2)
    assert len([e for e in uow.published if isinstance(e, GoalAchieved)]) == 1
    sheet = await goals.goal_sheet("p1", MENTOR, uow)
    assert len(sheet.goals) == 2
    with pytest.raises(NotFound, match="milestone"):
        await goals.complete_milestone("p1", goal.goal_id, "ms-unknown", MENTEE, uow)
    with pytest.raises(NotFound):
        await goals.achieve("p1", "goal-unknown", MENTEE, uow)


async def test_assessments_both_views_every_topic_once_and_late_ones_flagged() -> None:
    uow = await paired()
    await assessments.submit("p1", AssessmentPhase.BASELINE, BOTH_TOPICS, MENTEE, uow)
    with pytest.raises(Conflict, match="already"):
        await assessments.submit("p1", AssessmentPhase.BASELINE, BOTH_TOPICS, MENTEE, uow)
    one_topic = SubmitAssessment(levels=(LevelInput(topic_name="ai_tools", level=2),))
    with pytest.raises(InvalidRequest, match="levels"):
        await assessments.submit("p1", AssessmentPhase.BASELINE, one_topic, MENTOR, uow)
    unknown = SubmitAssessment(
        levels=(*BOTH_TOPICS.levels, LevelInput(topic_name="knitting", level=1))
    )
    with pytest.raises(InvalidRequest, match=r"levels\.2\.topic_name"):
        await assessments.submit("p1", AssessmentPhase.BASELINE, unknown, MENTOR, uow)
    with pytest.raises(Conflict, match="not open"):
        await assessments.submit("p1", AssessmentPhase.MIDPOINT, BOTH_TOPICS, MENTEE, uow)
    with pytest.raises(Forbidden):
        await assessments.submit("p1", AssessmentPhase.BASELINE, BOTH_TOPICS, me("x"), uow)
    await advance(uow, timedelta(days=20))
    late = await assessments.submit("p1", AssessmentPhase.BASELINE, BOTH_TOPICS, MENTOR, uow)
    assert late.late is True
    assessed = [e for e in uow.published if isinstance(e, CompetenceAssessed)]
    assert {(e.assessor_role, e.late) for e in assessed} == {
        (Role.MENTEE, False),
        (Role.MENTOR, True),
    }
    assert {e.employee_id for e in assessed} == {"mentee"}
    rounds = await assessments.rounds_of("p1", MENTOR, uow)
    assert [r.phase for r in rounds] == list(AssessmentPhase)
    assert rounds[0].your_levels is not None
    assert rounds[0].rubric[5].startswith("Expert")


async def test_surveys_are_answered_once_inside_their_window() -> None:
    uow = await paired()
    mqs = "p1.mqs.1"
    with pytest.raises(Conflict, match="not open"):
        await surveys.answer(mqs, AnswerSurvey(score=4), MENTEE, uow)
    await advance(uow, timedelta(days=30))
    with pytest.raises(InvalidRequest, match="score"):
        await surveys.answer(mqs, AnswerSurvey(score=9), MENTEE, uow)
    answered = await surveys.answer(mqs, AnswerSurvey(score=4), MENTEE, uow)
    assert (answered.your_score, answered.state.value) == (4, "open")
    with pytest.raises(Conflict, match="already"):
        await surveys.answer(mqs, AnswerSurvey(score=4), MENTEE, uow)
    with pytest.raises(Forbidden):
        await surveys.answer(mqs, AnswerSurvey(score=4), PM, uow)
    await advance(uow, timedelta(days=15))
    with pytest.raises(Conflict, match="closed"):
        await surveys.answer(mqs, AnswerSurvey(score=4), MENTOR, uow)
    with pytest.raises(NotFound):
        await surveys.answer("p1.mqs.99", AnswerSurvey(score=4), MENTOR, uow)
    [event] = [e for e in uow.published if isinstance(e, SurveyAnswered)]
    assert (event.respondent_role, event.score) == (Role.MENTEE, 4)
    listing = await surveys.of_person("mentee", Paging(), MENTEE, uow)
    states = {v.survey_id: v.state.value for v in listing.items}
    assert states[mqs] == "closed"
    assert states["p1.nps.1"] == "planned"


async def six_pairs_with_answers() -> FakeFeedbackUnitOfWork:
    uow = new_uow()
    await consume(uow, opened())
    for n in range(6):
        await consume(
            uow, pair_created(f"p{n}", f"mentor{n}", f"mentee{n}"), held(f"s{n}", f"p{n}")
        )
        await feedback.submit(
            f"s{n}", SubmitFeedback(rating=4, usefulness=5), me(f"mentee{n}"), uow
        )
        if n < 2:  # only two mentors answer
            await feedback.submit(
                f"s{n}", SubmitFeedback(rating=2, usefulness=2), me(f"mentor{n}"), uow
            )
    return uow


async def test_reports_show_only_what_at_least_k_people_answered() -> None:
    uow = await six_pairs_with_answers()
    report = await reports.program_report("prog", PM, uow, k=5)
    mentees, mentors = report.feedback[Role.MENTEE], report.feedback[Role.MENTOR]
    assert (mentees.rating.value, mentees.rating.respondents) == (4.0, 6)
    assert mentees.rating_distribution == {1: 0, 2: 0, 3: 0, 4: 6, 5: 0}
    assert mentors.rating.suppressed
    assert mentors.rating.value is None
    assert mentors.rating_distribution is None
    assert mentors.requested == 6
    assert mentors.completion.suppressed is False
    assert report.pairs == 6
    assert report.sessions_held == 6
    assert (await reports.program_report("prog", OPS_CALLER, uow, k=5)).pairs == 6
    with pytest.raises(Forbidden):
        await reports.program_report("prog", OTHER_PM, uow, k=5)
    with pytest.raises(Forbidden):
        await reports.program_report("prog", me("mentee0"), uow, k=5)
    with pytest.raises(NotFound):
        await reports.program_report("nope", PM, uow, k=5)


async def test_the_pair_report_does_not_tell_whether_the_partner_has_assessed() -> None:
    uow = await paired()
    before = await reports.pair_report("p1", MENTOR, uow, k=3)
    await assessments.submit("p1", AssessmentPhase.BASELINE, BOTH_TOPICS, MENTEE, uow)
    after = await reports.pair_report("p1", MENTOR, uow, k=3)
    assert [t.topic_name for t in before.competence] == ["ai_tools", "social_media"]
    assert before.model_dump(exclude={"yours"}) == after.model_dump(exclude={"yours"})


async def test_a_mentor_never_sees_the_mentees_rating_in_the_pair_report() -> None:
    uow = await six_pairs_with_answers()
    as_mentor = await reports.pair_report("p0", me("mentor0"), uow, k=3)
    assert as_mentor.feedback[Role.MENTEE].rating.suppressed
    assert as_mentor.yours is not None
    assert [(f.author_role, f.rating) for f in as_mentor.yours.feedback] == [(Role.MENTOR, 2)]
    assert "4" not in {str(f.rating) for f in as_mentor.yours.feedback}
    as_manager = await reports.pair_report("p0", PM, uow, k=3)
    assert as_manager.yours is None
    assert all(f.value is None for f in (as_manager.feedback[Role.MENTEE].rating,))
    with pytest.raises(Forbidden):
        await reports.pair_report("p0", me("mentee1"), uow, k=3)


async def test_erasure_renames_the_person_and_deletes_every_word_of_their_pairs() -> None:
    uow = new_uow()
    erased = me("er-7")
    await consume(uow, opened(), pair_created(mentee="er-7"), held("s1"))
    await feedback.submit("s1", GOOD, erased, uow)
    await feedback.submit(
        "s1", SubmitFeedback(rating=3, usefulness=3, comment="er-7 was late"), MENTOR, uow
    )
    await goals.add(
        "p1", GoalInput(topic_name="ai_tools", description="my words", target_level=3), erased, uow
    )
    await advance(uow, timedelta(days=31))
    await surveys.answer("p1.mqs.1", AnswerSurvey(score=5), erased, uow)
    await assessments.submit("p1", AssessmentPhase.BASELINE, BOTH_TOPICS, erased, uow)
    async with uow:
        changed = await privacy.erase("er-7", uow)
        await uow.commit()
    assert changed >= 5
    text = "".join(
        item.model_dump_json()
        for repo in (uow.pairs, uow.sheets, uow.rounds, uow.surveys, uow.sessions)
        for item in repo.items.values()
    )
    assert "er-7" not in text
    assert "my words" not in text
    assert "prompt patterns" not in text
    assert uow.erased == {"er-7"}
    report = await reports.pair_report("p1", MENTOR, uow, k=3)
    assert report.sessions_held == 1
    assert report.yours is not None
    assert [f.comment for f in report.yours.feedback] == [None]
    before = len(uow.published)
    await consume(uow, pair_created("p2", mentee="er-7"))  # announced before the erasure
    assert await uow.pairs.get("p2") is None
    assert len(uow.published) == before
