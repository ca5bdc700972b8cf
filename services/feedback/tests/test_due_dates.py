"""When assessments and surveys fall due, on the fake clock: baseline at the start, midpoint at
half the planned duration, final at the end (or when the pair or program ends early), MQS on
day 30 and every 60 days after, NPS at the end; overdue reports and feedback reminders once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tandem_contracts.events import (
    AssessmentDue,
    AssessmentOverdue,
    AssessmentPhase,
    FeedbackReminderDue,
    FeedbackRequested,
    PairEndReason,
    ProgramClosed,
    SurveyDue,
    SurveyKind,
)
from tandem_contracts.values import Role
from tandem_feedback.domain import timeline

from .builders import NOW, STARTS, held, opened, pair_created, pair_ended
from .support import advance, consume, kinds, new_uow

START = NOW
END = datetime(2027, 7, 10, tzinfo=UTC)  # 00:00 UTC after 9 July


def test_the_timeline_of_a_26_week_pair() -> None:
    assert timeline.pair_start(STARTS, NOW) == NOW
    assert timeline.pair_start(STARTS, NOW - timedelta(days=3)) == datetime(2027, 1, 11, tzinfo=UTC)
    assert timeline.planned_end(date(2027, 7, 9)) == END
    assert timeline.midpoint(START, END) == START + (END - START) / 2
    assert timeline.mqs_openings(START, END) == [
        START + timedelta(days=30),
        START + timedelta(days=90),
        START + timedelta(days=150),
    ]
    assert timeline.mqs_openings(START, START + timedelta(days=30)) == []


async def test_a_new_pair_is_asked_for_its_baseline_at_once() -> None:
    uow = new_uow()
    await consume(uow, opened(), pair_created())
    [due] = [e for e in uow.published if isinstance(e, AssessmentDue)]
    assert due.phase is AssessmentPhase.BASELINE
    assert (due.mentor_id, due.mentee_id) == ("mentor", "mentee")
    assert due.topics == ("ai_tools", "social_media")
    assert due.due_at == NOW + timedelta(days=14)
    assert await uow.sheets.get("p1") is not None


async def test_a_pair_formed_before_its_first_day_is_due_two_weeks_after_it() -> None:
    uow = new_uow()
    early = pair_created(starts_on=date(2027, 2, 1), created_at=NOW)
    await consume(uow, early)
    [due] = [e for e in uow.published if isinstance(e, AssessmentDue)]
    assert due.opened_at == NOW
    assert due.due_at == datetime(2027, 2, 15, tzinfo=UTC)


async def test_midpoint_final_mqs_and_nps_open_on_their_days_and_only_then() -> None:
    uow = new_uow()
    await consume(uow, pair_created())
    seen: list[tuple[datetime, str]] = []
    for _ in range(185):  # day by day through the whole pair and past its end
        for event in await advance(uow, timedelta(days=1)):
            if isinstance(event, AssessmentDue):
                seen.append((uow.clock.now(), f"assessment:{event.phase.value}"))
            elif isinstance(event, SurveyDue):
                seen.append((uow.clock.now(), f"{event.kind.value}:{event.sequence}"))
                assert event.closes_at == event.opens_at + timedelta(days=14)
    midpoint = START + (END - START) / 2
    days = {what: (at - START).days for at, what in seen}
    assert days == {
        "mqs:1": 30,
        "mqs:2": 90,
        "assessment:midpoint": (midpoint - START).days + 1,
        "mqs:3": 150,
        "assessment:final": (END - START).days + 1,
        "nps:1": (END - START).days + 1,
    }
    assert [what for _, what in seen].count("assessment:midpoint") == 1


async def test_a_program_closing_early_drops_what_is_not_due_and_asks_final_and_nps_now() -> None:
    uow = new_uow()
    await consume(uow, opened(), pair_created())
    await advance(uow, timedelta(days=40))  # MQS 1 went out on day 30
    closed_at = uow.clock.now()
    before = len(uow.published)
    await consume(uow, ProgramClosed(program_id="prog", closed_at=closed_at))
    now_due = uow.published[before:]
    assert sorted(kinds(now_due)) == ["assessment_due", "survey_due"]
    final = next(e for e in now_due if isinstance(e, AssessmentDue))
    assert final.phase is AssessmentPhase.FINAL
    nps = next(e for e in now_due if isinstance(e, SurveyDue))
    assert (nps.kind, nps.opens_at) == (SurveyKind.NPS, closed_at)
    later: list[str] = []
    for _ in range(200):
        later += kinds(await advance(uow, timedelta(days=1)))
    assert "survey_due" not in later, "no MQS after the close, no second NPS"
    assert "assessment_due" not in later, "the midpoint was dropped"
    pair = await uow.pairs.get("p1")
    assert pair is not None
    assert pair.end_reason == "program_closed"


async def test_a_pair_ending_after_its_midpoint_keeps_it_and_ends_with_the_final() -> None:
    uow = new_uow()
    await consume(uow, pair_created())
    await advance(uow, timedelta(days=100))
    assert {r.phase.value: r.status.value for r in await uow.rounds.of_pair("p1")} == {
        "baseline": "open",
        "midpoint": "open",
        "final": "planned",
    }
    before = len(uow.published)
    ended = pair_ended(at=uow.clock.now(), reason=PairEndReason.PARTICIPANT_DEPARTED)
    await consume(uow, ended, ended)  # a redelivery changes nothing
    asked = [e for e in uow.published[before:] if isinstance(e, AssessmentDue)]
    assert [e.phase for e in asked] == [AssessmentPhase.FINAL]


async def test_a_pair_ending_later_than_planned_is_asked_at_its_planned_end() -> None:
    uow = new_uow()
    await consume(uow, pair_created())
    await advance(uow, timedelta(days=200))
    before = len(uow.published)
    await consume(uow, pair_ended(at=uow.clock.now(), reason=PairEndReason.COMPLETED))
    assert uow.published[before:] == []  # the final and the NPS went out on the planned end


async def test_an_overdue_round_is_reported_once_naming_who_is_missing() -> None:
    uow = new_uow()
    await consume(uow, pair_created())
    round_ = await uow.rounds.get("p1.baseline")
    assert round_ is not None
    from tandem_feedback.domain.assessments import TopicLevel

    levels = tuple(TopicLevel(topic_name=t, level=2) for t in round_.topics)
    await uow.rounds.put(round_.submit(Role.MENTEE, "mentee", levels, NOW + timedelta(days=1)))
    overdue = [
        e for e in await advance(uow, timedelta(days=15)) if isinstance(e, AssessmentOverdue)
    ]
    assert len(overdue) == 1
    assert (overdue[0].pending_roles, overdue[0].pending_ids) == ((Role.MENTOR,), ("mentor",))
    assert not [
        e for e in await advance(uow, timedelta(days=15)) if isinstance(e, AssessmentOverdue)
    ]


async def test_held_sessions_are_requested_once_and_reminded_once_after_48_hours() -> None:
    uow = new_uow()
    await consume(uow, pair_created())
    await consume(uow, held("s1"), held("s1"))  # redelivered with another id: one request
    await consume(uow, held("s1"))
    requests = [e for e in uow.published if isinstance(e, FeedbackRequested)]
    assert len(requests) == 1
    assert requests[0].remind_at == NOW + timedelta(hours=48)
    assert not [
        e for e in await advance(uow, timedelta(hours=47)) if isinstance(e, FeedbackReminderDue)
    ]
    reminders = [
        e for e in await advance(uow, timedelta(hours=2)) if isinstance(e, FeedbackReminderDue)
    ]
    assert len(reminders) == 1
    assert reminders[0].pending_ids == ("mentor", "mentee")
    assert not [
        e for e in await advance(uow, timedelta(days=5)) if isinstance(e, FeedbackReminderDue)
    ]


async def test_an_end_consumed_after_the_survey_window_announces_no_survey() -> None:
    """A PairEnded read 20 days late (lag, a replay): the final assessment is still asked
    (late answers are accepted), the NPS window has passed and is not announced."""
    uow = new_uow()
    await consume(uow, pair_created())
    await advance(uow, timedelta(days=60))
    before = len(uow.published)
    await consume(uow, pair_ended(at=uow.clock.now() - timedelta(days=20)))
    assert kinds(uow.published[before:]) == ["assessment_due"]


async def test_a_pair_recorded_while_its_program_closed_is_finished_by_the_ticker() -> None:
    """PairCreated and ProgramClosed read side by side (two consumers): the close did not see
    the pair. For a grace time the ticker keeps finishing the closed program's pairs."""
    uow = new_uow()
    await consume(uow, opened(), ProgramClosed(program_id="prog", closed_at=NOW))
    slipped = pair_created("p7", "m7", "e7")
    await consume(uow, slipped)  # finished at once: the program is known closed
    pair = await uow.pairs.get("p7")
    assert pair is not None
    assert pair.end_reason == "program_closed"
    unseen = pair.model_copy(update={"pair_id": "p8", "ended_at": None, "end_reason": None})
    await uow.pairs.put(unseen)  # as if committed alongside the close
    await advance(uow, timedelta(minutes=1))
    finished = await uow.pairs.get("p8")
    assert finished is not None
    assert finished.end_reason == "program_closed"
    program = await uow.programs.get("prog")
    assert program is not None
    assert program.winding_down, "still looking during the grace time"
    await advance(uow, timedelta(minutes=10))
    program = await uow.programs.get("prog")
    assert program is not None
    assert not program.winding_down


async def test_the_pairs_own_end_reason_wins_over_the_close_read_before_it() -> None:
    """ProgramClosed and the pair's PairEnded travel on different partitions: whichever is
    read first, the pair ends once and keeps the pairing service's reason."""
    uow = new_uow()
    await consume(uow, opened(), pair_created("p9", "m9", "e9"))
    await consume(uow, ProgramClosed(program_id="prog", closed_at=NOW))
    await consume(uow, pair_ended("p9", reason=PairEndReason.COMPLETED))
    pair = await uow.pairs.get("p9")
    assert pair is not None
    assert pair.end_reason == "completed"
    assert pair.ended_at == NOW


async def test_a_close_before_the_pairs_start_still_yields_to_the_pairs_own_reason() -> None:
    """Both ends are clamped to the pair's start, so they still match."""
    uow = new_uow()
    early = NOW - timedelta(days=3)
    await consume(uow, opened(), pair_created("p9", "m9", "e9"))
    await consume(uow, ProgramClosed(program_id="prog", closed_at=early))
    await consume(uow, pair_ended("p9", at=early, reason=PairEndReason.COMPLETED))
    pair = await uow.pairs.get("p9")
    assert pair is not None
    assert pair.ended_at is not None
    assert pair.ended_at > early, "clamped to the start"
    assert pair.end_reason == "completed"
