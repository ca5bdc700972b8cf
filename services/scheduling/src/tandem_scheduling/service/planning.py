"""PairCreated → a series of sessions: planned for the whole program, published a horizon ahead.

1:1 and shadowing pairs get a series each. The pairs of a group or workshop (one `group_id`)
share one series: a pair joining later is fitted into the meetings already published where
they suit them, and the weeks still to come are planned again for everyone.
"""

from __future__ import annotations

from collections.abc import Sequence

from tandem_contracts.events import PairCreated
from tandem_contracts.events.scheduling import UnschedulableReason
from tandem_scheduling.domain.calendar import BusyCalendar, free_in
from tandem_scheduling.domain.series import MEETS_TOGETHER, Person, Series, SeriesPair, new_series
from tandem_scheduling.domain.sessions import Session, meeting_id
from tandem_scheduling.domain.weeks import series_weeks
from tandem_scheduling.service.busy import calendar_of
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_scheduling.settings import SchedulingRules


def series_id_of(event: PairCreated) -> str:
    if event.format in MEETS_TOGETHER and event.group_id is not None:
        return event.group_id
    return event.pair_id


def _person(member: object) -> Person:
    return Person.model_validate(member, from_attributes=True)


async def on_pairs_created(
    events: Sequence[PairCreated], uow: SchedulingUnitOfWork, rules: SchedulingRules
) -> None:
    """Plan every new pair in one go (one calendar, so they never collide with each other)."""
    now = uow.clock.now()
    named = {e.mentor.employee_id for e in events} | {e.mentee.employee_id for e in events}
    erased = await uow.erased_among(named)
    programs = await uow.programs.get_many({e.program_id for e in events})
    closed = {p for p, program in programs.items() if program.closed_at is not None}
    keys = {series_id_of(e) for e in events}
    stored = await uow.series.get_many(keys)
    fresh: list[PairCreated] = []
    for event in events:
        if {event.mentor.employee_id, event.mentee.employee_id} & erased:
            continue  # announced before an erasure we have applied: pairing ends the pair
        if event.program_id in closed:
            continue
        known = stored.get(series_id_of(event))
        if known is not None and known.pair(event.pair_id) is not None:
            continue  # planned already (the same pair announced twice)
        if any(e.pair_id == event.pair_id for e in fresh):
            continue
        fresh.append(event)
    if not fresh:
        return
    group_ids = {series_id_of(e) for e in fresh if series_id_of(e) != e.pair_id}
    existing = {key: stored[key] for key in group_ids if key in stored}
    people = {e.mentor.employee_id for e in fresh} | {e.mentee.employee_id for e in fresh}
    people |= {person for group in existing.values() for person in group.people}
    await uow.lock_calendars(people)
    calendar = await calendar_of(
        people, uow, after=now, buffer=rules.buffer, skip_planned_of=group_ids
    )
    earliest = rules.earliest_start(now)
    changed: dict[str, Series] = {}
    for event in fresh:
        key = series_id_of(event)
        pair = SeriesPair(pair_id=event.pair_id, mentee=_person(event.mentee))
        series = changed.get(key) or existing.get(key)
        if series is None:
            series = new_series(
                series_id=key,
                program_id=event.program_id,
                format=event.format,
                cadence_weeks=event.cadence_weeks,
                session_minutes=event.session_minutes,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
                mentor=_person(event.mentor),
                pairs=[pair],
            )
        else:
            _unplan(series, calendar)
            series = series.with_pair(pair)
            series = await _join_published_meetings(series, pair, calendar, uow, rules)
        changed[key] = series.plan(calendar, earliest)
    await materialise(list(changed.values()), uow, rules, new=set(changed) - set(existing))


def _unplan(series: Series, calendar: BusyCalendar) -> None:
    for person, span in series.planned_busy():
        calendar.remove(person, span)


async def _join_published_meetings(
    series: Series,
    pair: SeriesPair,
    calendar: BusyCalendar,
    uow: SchedulingUnitOfWork,
    rules: SchedulingRules,
) -> Series:
    """A pair joining a group takes part in its already-published meetings that suit it, and
    gets its own meeting in published weeks that have none left (their pairs ended); for the
    other weeks it is reported unschedulable. (Published meetings are not moved for a
    newcomer: the people already in them have been told their time.)"""
    now = uow.clock.now()
    earliest = rules.earliest_start(now)
    meetings: dict[int, Session] = {}
    for session in await uow.sessions.upcoming_of_series(series.series_id, now):
        meetings.setdefault(session.sequence, session)
    zone_name = series.mentor.availability.time_zone
    for week in series_weeks(series.starts_on, series.ends_on, series.cadence_weeks):
        if week.sequence > series.materialised_through or week.span(zone_name).end <= earliest:
            continue
        meeting = meetings.get(week.sequence)
        if meeting is None:
            own = series.place_week(week, calendar, series.preferred, earliest, [pair])
            span = own.span
            if span is None:
                series = series.report(week, pair.pair_id, own.unplaced[0].reason, now)
                continue
        else:
            span = meeting.span
            _, free = free_in(pair.mentee.employee_id, pair.mentee.availability, span, calendar)
            if not any(window.contains(span) for window in free):
                outside = UnschedulableReason.OUTSIDE_GROUP_TIME
                series = series.report(week, pair.pair_id, outside, now)
                continue
        joined = Session.schedule(
            series_id=series.series_id,
            meeting=meeting_id(series.series_id, week.sequence),
            pair_id=pair.pair_id,
            program_id=series.program_id,
            format=series.format,
            sequence=week.sequence,
            mentor=(series.mentor.employee_id, zone_name),
            mentee=(pair.mentee.employee_id, pair.mentee.availability.time_zone),
            span=span,
            timing=rules.timing,
            now=now,
        )
        await uow.sessions.add_many([joined])
        calendar.add(pair.mentee.employee_id, span)
        calendar.add(series.mentor.employee_id, span)
    return series


async def materialise(
    series: Sequence[Series],
    uow: SchedulingUnitOfWork,
    rules: SchedulingRules,
    *,
    new: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Publish what falls within the horizon now; the ticker publishes the rest as it nears.
    Series in `new` are stored for the first time (an insert, cheaper than a replace)."""
    now = uow.clock.now()
    sessions: list[Session] = []
    stored: list[Series] = []
    for one in series:
        materialised, created = one.materialise(now + rules.horizon, rules.timing, now)
        stored.append(materialised)
        sessions.extend(created)
    await uow.series.add_many(s for s in stored if s.series_id in new)
    await uow.series.put_many(s for s in stored if s.series_id not in new)
    await uow.sessions.add_many(sessions)
