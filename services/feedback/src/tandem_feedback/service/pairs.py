"""A pair's life as feedback follows it: its goal sheet, assessment rounds and surveys are laid
out when it is created; its end (or its program's close) drops what is no longer due and asks
for the final assessment and the NPS at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tandem_contracts.events import (
    AssessmentPhase,
    PairCreated,
    PairEnded,
    ProgramClosed,
    ProgramOpened,
)
from tandem_feedback.domain import timeline
from tandem_feedback.domain.assessments import AssessmentRound, new_rounds
from tandem_feedback.domain.checkpoints import WindowStatus
from tandem_feedback.domain.goals import GoalSheet
from tandem_feedback.domain.lifecycle import rounds_at_end, surveys_at_end
from tandem_feedback.domain.pairs import PairRecord
from tandem_feedback.domain.programs import Program
from tandem_feedback.domain.surveys import Survey, new_surveys
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_feedback.settings import FeedbackRules

PROGRAM_CLOSED = "program_closed"
CLOSE_GRACE = timedelta(minutes=10)
"""How long a closed program is still looked at for pairs recorded while it closed (a
consumer's retries take far less)."""


async def on_program_opened(event: ProgramOpened, uow: FeedbackUnitOfWork) -> None:
    await uow.lock_people(event.manager_ids)  # an erasure running alongside waits
    known = await uow.programs.get(event.program_id)
    program = known or Program(program_id=event.program_id)
    erased = await uow.erased_among(event.manager_ids)  # a replayed event names them again
    managers = tuple(m for m in event.manager_ids if m not in erased)
    await uow.programs.put(program.model_copy(update={"manager_ids": managers}))


async def on_program_closed(
    event: ProgramClosed, uow: FeedbackUnitOfWork, rules: FeedbackRules
) -> None:
    """Marks the program closed and finishes its first `close_batch` pairs at once (all of a
    small program's); the ticker finishes the rest of a large one, and for a grace time keeps
    finishing pairs recorded while the close was being applied."""
    known = await uow.programs.get(event.program_id)
    now = uow.clock.now()
    program = (known or Program(program_id=event.program_id)).close(
        event.closed_at, now, CLOSE_GRACE
    )
    await uow.programs.put(program)
    if program.winding_down:
        await wind_down(program, uow, rules)


async def wind_down(program: Program, uow: FeedbackUnitOfWork, rules: FeedbackRules) -> int:
    """One chunk of a closed program's still active pairs; how many changes it made (pairs
    finished, and the program itself once nothing is left and the grace time is over)."""
    closed_at = program.closed_at or uow.clock.now()
    active = await uow.pairs.active_of_program(program.program_id, rules.close_batch)
    for pair in active:
        await finish(pair, closed_at, PROGRAM_CLOSED, uow, rules)
    if len(active) < rules.close_batch:
        settled = program.settled(uow.clock.now())
        if settled != program:
            await uow.programs.put(settled)
            return len(active) + 1
    return len(active)


async def on_pair_created(
    event: PairCreated, uow: FeedbackUnitOfWork, rules: FeedbackRules
) -> None:
    if await uow.pairs.get(event.pair_id) is not None:
        return  # announced again: the pair's sheet and windows exist already
    members = (event.mentor.employee_id, event.mentee.employee_id)
    await uow.lock_people(members)  # an erasure running alongside conflicts and waits
    if await uow.erased_among(members):
        return  # announced before an erasure: not recorded again
    now = uow.clock.now()
    start = timeline.pair_start(event.starts_on, event.created_at)
    end = max(timeline.planned_end(event.ends_on), start)
    pair = PairRecord(
        pair_id=event.pair_id,
        program_id=event.program_id,
        mentor_id=members[0],
        mentee_id=members[1],
        topics=event.topics,
        starts_at=start,
        planned_end_at=end,
    )
    common = {
        "pair_id": pair.pair_id,
        "program_id": pair.program_id,
        "mentor_id": pair.mentor_id,
        "mentee_id": pair.mentee_id,
    }
    opens = {
        AssessmentPhase.BASELINE: min(now, start),
        AssessmentPhase.MIDPOINT: timeline.midpoint(start, end),
        AssessmentPhase.FINAL: end,
    }
    rounds = new_rounds(**common, topics=pair.topics, opens=opens, due_in=rules.assessment_due)
    baseline = rounds[0].open(now, rules.assessment_due, not_before=start)
    surveys = new_surveys(
        **common,
        mqs_openings=timeline.mqs_openings(start, end),
        nps_opens=end,
        window=rules.survey_window,
    )
    await uow.pairs.put(pair)
    await uow.sheets.put(GoalSheet(**common, topics=pair.topics))
    await uow.rounds.put_many([baseline, *rounds[1:]])
    await uow.surveys.put_many(surveys)
    await uow.lock_pairs([pair.pair_id])
    waiting = await uow.sessions.awaiting_pair(pair.pair_id)
    await uow.sessions.put_many(s.request(pair, now, rules.remind_after) for s in waiting)
    program = await uow.programs.get(pair.program_id)
    if program is not None and program.closed_at is not None:
        await finish(pair, program.closed_at, PROGRAM_CLOSED, uow, rules)


async def on_pair_ended(event: PairEnded, uow: FeedbackUnitOfWork, rules: FeedbackRules) -> None:
    pair = await uow.pairs.get(event.pair_id)
    if pair is None:
        return
    if pair.active:
        await finish(pair, event.ended_at, event.reason.value, uow, rules)
    elif pair.end_reason == PROGRAM_CLOSED and pair.ended_at == max(event.ended_at, pair.starts_at):
        # The program's close (another partition) was read first and ended the pair at the
        # same moment (the pairing service ends a closed program's pairs at its closing time;
        # both are clamped to the pair's start alike): the pairing service's reason is the
        # record, whichever arrived first. (An end before the close, read after it, keeps the
        # close's time: not reconciled.)
        await uow.pairs.put(pair.model_copy(update={"end_reason": event.reason.value}))


async def finish(
    pair: PairRecord, at: datetime, reason: str, uow: FeedbackUnitOfWork, rules: FeedbackRules
) -> None:
    """The pair's end: the midpoint and later MQS surveys not yet due are dropped, the final
    assessment and the NPS move to the end and open now if it has come."""
    if not pair.active:
        return
    ended = pair.end(at, reason)
    end = ended.ended_at or at
    await uow.pairs.put(ended)
    now = uow.clock.now()
    rounds = rounds_at_end(await uow.rounds.of_pair(pair.pair_id), end)
    surveys = surveys_at_end(await uow.surveys.of_pair(pair.pair_id), end, rules.survey_window)
    await uow.rounds.put_many(open_due_rounds(rounds, now, rules))
    await uow.surveys.put_many(open_due_surveys(surveys, now))


def open_due_rounds(
    rounds: Iterable[AssessmentRound], now: datetime, rules: FeedbackRules
) -> list[AssessmentRound]:
    return [
        r.open(now, rules.assessment_due)
        if r.status is WindowStatus.PLANNED and r.opens_at <= now
        else r
        for r in rounds
    ]


def open_due_surveys(surveys: Iterable[Survey], now: datetime) -> list[Survey]:
    return [
        s.open(now) if s.status is WindowStatus.PLANNED and s.opens_at <= now else s
        for s in surveys
    ]
