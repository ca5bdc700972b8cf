"""The projection against the oracle: random event histories of a program (enrollments,
withdrawals, pairs, early ends, sessions in every state, feedback, surveys, departures) are fed
through the projection interleaved across aggregates (each aggregate's events in order, as a
partition keeps them) and with announcements repeated; the KPIs computed from the facts equal
the oracle's, computed straight from the event log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_contracts import Event
from tandem_contracts import events as ev
from tandem_contracts.events.feedback import SurveyKind
from tandem_contracts.events.scheduling import (
    CancellationReason,
    MissedBy,
    UnschedulableReason,
)
from tandem_contracts.examples import BERLIN_MORNINGS
from tandem_contracts.values import ProgramFormat, Role
from tandem_metrics.domain.kpis import ProgramKpis
from tandem_metrics.service import projection
from tandem_metrics.service.kpis import program_kpis
from tandem_servicekit.clock import FakeClock

from .fakes import FakeMetricsUnitOfWork
from .oracle import oracle

D0 = date(2027, 1, 4)
T0 = datetime(2027, 1, 4, tzinfo=UTC)
PEOPLE = [f"e{n:02d}" for n in range(16)]
REASONS = list(ev.PairEndReason)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def member(employee_id: str, enrollment_id: str) -> ev.PairMember:
    return ev.PairMember(
        employee_id=employee_id,
        enrollment_id=enrollment_id,
        languages=("en",),
        availability=BERLIN_MORNINGS,
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[tuple[str, Event]], datetime, int]:
    """(stream key, event) in time order, the time of the report, and k."""
    cadence = draw(st.sampled_from([1, 2]))
    weeks = 12
    log: list[tuple[str, Event]] = []
    for person in PEOPLE:
        log.append(
            (
                person,
                ev.EmployeeHired(
                    employee_id=person,
                    department="D",
                    job_level=3,
                    languages=("en",),
                    time_zone="UTC",
                    hired_on=date(2020, 1, 1),
                    effective_at=at(-1000),
                ),
            )
        )
        if draw(st.integers(0, 4)) == 0:
            left = D0 + timedelta(days=draw(st.integers(-5, 100)))
            log.append(
                (
                    person,
                    ev.EmployeeDeparted(
                        employee_id=person, departed_on=left, effective_at=at(-999)
                    ),
                )
            )
    log.append(
        (
            "prog",
            ev.ProgramOpened(
                program_id="prog",
                name="P",
                starts_on=D0,
                ends_on=D0 + timedelta(weeks=weeks),
                duration_weeks=weeks,
                cadence_weeks=cadence,
                session_minutes=45,
                format=ProgramFormat.ONE_TO_ONE,
                topics=("ai",),
                manager_ids=("pm",),
                opened_at=at(-500),
            ),
        )
    )
    roles = ["mentor"] * 7 + ["mentee"] * 7 + [None, None]
    if draw(st.booleans()):  # sometimes a mixed crowd
        roles = draw(
            st.lists(st.sampled_from(["mentor", "mentee", None]), min_size=16, max_size=16)
        )
    enrolled: dict[str, tuple[str, str]] = {}
    for n, (person, role) in enumerate(zip(PEOPLE, roles, strict=True)):
        if role is None:
            continue
        enrollment = f"en{n}"
        enrolled[person] = (enrollment, role)
        log.append(
            (
                "prog",
                ev.ParticipantEnrolled(
                    program_id="prog",
                    enrollment_id=enrollment,
                    employee_id=person,
                    role=Role(role),
                    expertise=(ev.TopicExpertise(topic="ai", level=3),) if role == "mentor" else (),
                    goals=(ev.TopicGoal(topic="ai", priority=3),) if role == "mentee" else (),
                    languages=("en",),
                    availability=BERLIN_MORNINGS,
                    enrolled_at=at(-400 + draw(st.integers(0, 300))),
                ),
            )
        )
        if draw(st.integers(0, 5)) == 0:
            log.append(
                (
                    "prog",
                    ev.ParticipantWithdrawn(
                        program_id="prog",
                        enrollment_id=enrollment,
                        employee_id=person,
                        role=Role(role),
                        withdrawn_at=at(-50),
                    ),
                )
            )
    for n in range(draw(st.integers(0, 3))):  # proposals one side declined
        log.append(
            (
                f"d{n}",
                ev.PairDeclined(
                    pair_id=f"d{n}",
                    program_id="prog",
                    declined_by=draw(st.sampled_from(list(Role))),
                    declined_at=at(-10),
                ),
            )
        )
    mentors = [p for p, (_, r) in enrolled.items() if r == "mentor"]
    mentees = [p for p, (_, r) in enrolled.items() if r == "mentee"]
    for n, (mentor, mentee) in enumerate(zip(mentors, mentees, strict=False)):
        pair = f"p{n}"
        log.append(
            (
                pair,
                ev.PairCreated(
                    pair_id=pair,
                    program_id="prog",
                    mentor=member(mentor, enrolled[mentor][0]),
                    mentee=member(mentee, enrolled[mentee][0]),
                    topics=("ai",),
                    cadence_weeks=cadence,
                    session_minutes=45,
                    starts_on=D0,
                    ends_on=D0 + timedelta(weeks=weeks),
                    score=0.5,
                    created_at=at(draw(st.integers(-40, 0))),
                ),
            )
        )
        for week in range(draw(st.integers(0, 6))):
            session = f"{pair}-s{week}"
            start = at(24 * 7 * cadence * week + 10)
            ids = {"session_id": session, "pair_id": pair, "program_id": "prog"}
            outcome = draw(st.sampled_from(["held", "held", "missed", "cancelled", "open", "none"]))
            if outcome == "none":
                log.append(
                    (
                        pair,
                        ev.SessionUnschedulable(
                            **ids,
                            sequence=week + 1,
                            week_starts_on=start.date(),
                            week_ends_on=start.date() + timedelta(days=6),
                            reason=UnschedulableReason.NO_COMMON_TIME,
                            reported_at=at(0),
                        ),
                    )
                )
                continue
            log.append(
                (
                    pair,
                    ev.SessionScheduled(
                        **ids,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=45),
                        sequence=week + 1,
                    ),
                )
            )
            if draw(st.booleans()):
                start += timedelta(hours=2)
                log.append(
                    (
                        pair,
                        ev.SessionRescheduled(
                            **ids,
                            starts_at=start,
                            ends_at=start + timedelta(minutes=45),
                            previous_starts_at=start - timedelta(hours=2),
                        ),
                    )
                )
            if outcome == "held":
                log.append(
                    (
                        pair,
                        ev.SessionHeld(
                            **ids, held_at=start, duration_minutes=draw(st.integers(10, 60))
                        ),
                    )
                )
                log.append(
                    (
                        f"fb-{pair}",
                        ev.FeedbackRequested(
                            **ids,
                            mentor_id=mentor,
                            mentee_id=mentee,
                            held_at=start,
                            remind_at=start + timedelta(hours=48),
                            requested_at=start,
                        ),
                    )
                )
                for side in draw(st.sets(st.sampled_from(list(Role)))):
                    log.append(
                        (
                            f"fb-{pair}",
                            ev.FeedbackSubmitted(
                                pair_id=pair,
                                program_id="prog",
                                feedback_id=f"{session}{side}",
                                session_id=session,
                                author_role=side,
                                rating=draw(st.integers(1, 5)),
                                usefulness=3,
                                submitted_at=start + timedelta(hours=1),
                            ),
                        )
                    )
            elif outcome == "missed":
                log.append(
                    (pair, ev.SessionMissed(**ids, missed_by=MissedBy.MENTEE, scheduled_at=start))
                )
            elif outcome == "cancelled":
                log.append(
                    (
                        pair,
                        ev.SessionCancelled(
                            **ids, reason=CancellationReason.REQUESTED_BY_MENTOR, cancelled_at=start
                        ),
                    )
                )
        for kind, seq in ((SurveyKind.MQS, 1), (SurveyKind.MQS, 2), (SurveyKind.NPS, 1)):
            for side in draw(st.sets(st.sampled_from(list(Role)))):
                high = 5 if kind is SurveyKind.MQS else 10
                log.append(
                    (
                        f"fb-{pair}",
                        ev.SurveyAnswered(
                            pair_id=pair,
                            program_id="prog",
                            survey_id=f"{pair}.{kind.value}.{seq}",
                            kind=kind,
                            respondent_role=side,
                            score=draw(st.integers(1 if kind is SurveyKind.MQS else 0, high)),
                            answered_at=at(24 * 30 * seq + draw(st.integers(0, 50))),
                        ),
                    )
                )
        for g in range(draw(st.integers(0, 2))):
            goal = {"pair_id": pair, "program_id": "prog", "goal_id": f"{pair}-g{g}"}
            owner = draw(st.sampled_from(list(Role)))
            log.append(
                (
                    f"fb-{pair}",
                    ev.GoalSet(
                        **goal,
                        owner_role=owner,
                        topic_name="ai",
                        target_level=4,
                        milestones=0,
                        revision=1,
                        set_at=at(5),
                    ),
                )
            )
            if draw(st.booleans()):
                log.append(
                    (f"fb-{pair}", ev.GoalAchieved(**goal, owner_role=owner, achieved_at=at(90)))
                )
        for phase in (ev.AssessmentPhase.BASELINE, ev.AssessmentPhase.FINAL):
            for side in draw(st.sets(st.sampled_from(list(Role)))):
                for topic in draw(st.sets(st.sampled_from(["ai", "agile"]), min_size=1)):
                    log.append(
                        (
                            f"fb-{pair}",
                            ev.CompetenceAssessed(
                                pair_id=pair,
                                program_id="prog",
                                assessment_id=f"{pair}{phase}{side}{topic}",
                                employee_id=mentee,
                                assessor_role=side,
                                topic_name=topic,
                                phase=phase,
                                level=draw(st.integers(1, 5)),
                                assessed_at=at(6),
                            ),
                        )
                    )
        if draw(st.integers(0, 2)) == 0:
            log.append(
                (
                    pair,
                    ev.PairEnded(
                        pair_id=pair,
                        program_id="prog",
                        mentor_id=mentor,
                        mentee_id=mentee,
                        reason=draw(st.sampled_from(REASONS)),
                        ended_at=at(draw(st.integers(1, 24 * 7 * (weeks + 2)))),
                    ),
                )
            )
    now = T0 + timedelta(days=draw(st.integers(0, 100)), hours=draw(st.integers(0, 23)))
    return log, now, draw(st.integers(3, 5))


def interleaved(log: list[tuple[str, Event]], order: list[int], repeats: list[int]) -> list[Event]:
    """The log as a broker may deliver it: streams interleaved by `order`, each stream's events
    in order, some announced twice."""
    streams: dict[str, list[Event]] = {}
    for key, event in log:
        streams.setdefault(key, []).append(event)
    keys = sorted(streams)
    out: list[Event] = []
    for pick in order:
        live = [k for k in keys if streams[k]]
        if not live:
            break
        event = streams[live[pick % len(live)]].pop(0)
        out.append(event)
        if repeats and repeats[len(out) % len(repeats)] == 0:
            out.append(event)
    for key in keys:
        out.extend(streams[key])
    return out


def comparable(kpis: ProgramKpis) -> dict[str, Any]:
    return {
        "participation": kpis.participation.value,
        "match_rate": kpis.match_rate.value,
        "time_to_match_seconds": kpis.time_to_match_seconds,
        "acceptance_rate": kpis.acceptance_rate.value,
        "active_pairs": kpis.active_pairs,
        "ended_pairs_by_reason": kpis.ended_pairs_by_reason,
        "early_closure_rate": kpis.early_closure_rate.value,
        "sessions": kpis.sessions,
        "session_completion": kpis.session_completion.value,
        "cadence_adherence": kpis.cadence_adherence.value,
        "mentoring_seconds": kpis.mentoring_seconds,
        "feedback": {
            side: {
                "requested": f.requested,
                "completion": f.completion.value,
                "rating": f.rating.value,
            }
            for side, f in kpis.feedback.items()
        },
        "mqs": kpis.mqs.value,
        "nps": kpis.nps.value,
        "goal_completion": kpis.goal_completion.value,
        "competence": [
            (t.topic_name, t.self_delta.value, t.partner_delta.value) for t in kpis.competence
        ],
        "retention_delta": kpis.retention.delta,
    }


@settings(max_examples=60, deadline=None)
@given(
    histories(),
    st.lists(st.integers(0, 1000), min_size=50, max_size=400),
    st.lists(st.integers(0, 6), max_size=20),
)
async def test_the_projection_gives_the_oracles_kpis(
    history: tuple[list[tuple[str, Event]], datetime, int], order: list[int], repeats: list[int]
) -> None:
    log, now, k = history
    uow = FakeMetricsUnitOfWork(FakeClock(now))
    delivered = interleaved(log, order, repeats)
    assert sorted(map(id, dict.fromkeys(delivered))) == sorted(id(e) for _, e in log)
    for start in range(0, len(delivered), 7):  # batches, as the consumer hands them over
        async with uow:
            await projection.apply(delivered[start : start + 7], uow)
            await uow.commit()
    async with uow:
        found = await program_kpis("prog", uow, k)
    assert found is not None
    assert comparable(found) == oracle([e for _, e in log], "prog", now, k)
