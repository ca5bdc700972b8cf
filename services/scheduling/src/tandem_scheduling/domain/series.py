"""A series: the meetings of one 1:1 or shadowing pair, or of one group or workshop (all pairs
sharing a `group_id`), one per week window, planned for the whole program and materialised
as sessions a rolling horizon ahead.

Planning is week by week: inside both (or every) member's windows, free of their other
sessions, at the local time of the mentor chosen in the first placed week when it still fits
(daylight saving in either zone may make it impossible for a week: then only that week moves,
to the nearest time that fits). A week without any fitting time is not invented: it is
reported unschedulable with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict

from tandem_contracts.aggregate import Aggregate
from tandem_contracts.events import SessionUnschedulable
from tandem_contracts.events.scheduling import UnschedulableReason
from tandem_contracts.values import Availability, ProgramFormat
from tandem_scheduling.domain.availability import WeeklyWindows, zone
from tandem_scheduling.domain.calendar import BusyCalendar, free_in
from tandem_scheduling.domain.placement import place
from tandem_scheduling.domain.sessions import Session, Timing, meeting_id, session_id
from tandem_scheduling.domain.spans import Span, intersection
from tandem_scheduling.domain.weeks import Week, at_local, series_weeks

MEETS_TOGETHER = (ProgramFormat.GROUP, ProgramFormat.WORKSHOP)


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    employee_id: str
    availability: Availability


class SeriesPair(BaseModel):
    model_config = ConfigDict(frozen=True)

    pair_id: str
    mentee: Person
    active: bool = True


class Unplaced(BaseModel):
    model_config = ConfigDict(frozen=True)

    pair_id: str
    reason: UnschedulableReason


class PlannedWeek(BaseModel):
    """A week not yet materialised: its meeting (if any) and the pairs it fits or not."""

    model_config = ConfigDict(frozen=True)

    sequence: int
    first: date
    last: date
    opens_at: datetime
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    pair_ids: tuple[str, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()

    @property
    def span(self) -> Span | None:
        if self.starts_at is None or self.ends_at is None:
            return None
        return Span(self.starts_at, self.ends_at)

    @property
    def due_at(self) -> datetime:
        """What the rolling horizon is measured against."""
        return self.starts_at or self.opens_at


class ReportedWeek(BaseModel):
    """A published week in which a pair got no session, and why (kept for the listings)."""

    model_config = ConfigDict(frozen=True)

    sequence: int
    first: date
    pair_id: str
    reason: UnschedulableReason


class PreferredTime(BaseModel):
    """The mentor's local weekday and time the series keeps to when it can."""

    model_config = ConfigDict(frozen=True)

    weekday: int
    at: time


class Series(Aggregate):
    series_id: str
    program_id: str
    format: ProgramFormat
    cadence_weeks: int
    session_minutes: int
    starts_on: date
    ends_on: date
    mentor: Person
    pairs: tuple[SeriesPair, ...]
    people: tuple[str, ...] = ()
    """Everyone active in the series (indexed: whose meetings are these)."""
    preferred: PreferredTime | None = None
    planned: tuple[PlannedWeek, ...] = ()
    reported: tuple[ReportedWeek, ...] = ()
    materialised_through: int = 0
    due_at: datetime | None = None
    """When `planned[0]` falls due (None: nothing left to materialise)."""
    ended: bool = False

    @property
    def together(self) -> bool:
        return self.format in MEETS_TOGETHER

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.session_minutes)

    @property
    def active_pairs(self) -> tuple[SeriesPair, ...]:
        return tuple(p for p in self.pairs if p.active)

    def pair(self, pair_id: str) -> SeriesPair | None:
        return next((p for p in self.pairs if p.pair_id == pair_id), None)

    def person(self, employee_id: str) -> Person | None:
        if self.mentor.employee_id == employee_id:
            return self.mentor
        return next((p.mentee for p in self.pairs if p.mentee.employee_id == employee_id), None)

    def planned_busy(self) -> list[tuple[str, Span]]:
        """The planned meetings, per person they include."""
        entries = []
        for week in self.planned:
            span = week.span
            if span is None or not week.pair_ids:
                continue
            entries.append((self.mentor.employee_id, span))
            entries.extend(
                (p.mentee.employee_id, span)
                for p in self.active_pairs
                if p.pair_id in week.pair_ids
            )
        return entries

    def _settled(self, **changes: object) -> Series:
        series = self.model_copy(update=changes)
        active = series.active_pairs
        people = (
            ()
            if series.ended
            else (series.mentor.employee_id, *(p.mentee.employee_id for p in active))
        )
        due = series.planned[0].due_at if series.planned and not series.ended else None
        return series.model_copy(update={"people": tuple(dict.fromkeys(people)), "due_at": due})

    def plan(self, calendar: BusyCalendar, after: datetime) -> Series:
        """(Re)plan every week not materialised yet whose window has not closed by `after`,
        against `calendar` (which must not hold this series' own plan); the plan is added to
        the calendar."""
        weeks = [
            w
            for w in series_weeks(self.starts_on, self.ends_on, self.cadence_weeks)
            if w.sequence > self.materialised_through
            and w.span(self.mentor.availability.time_zone).end > after
        ]
        planned: list[PlannedWeek] = []
        preferred = self.preferred
        prepared = self._prepared()
        for week in weeks:
            planned_week = self.place_week(week, calendar, preferred, after, prepared=prepared)
            if planned_week.span is not None:
                if preferred is None:
                    local = planned_week.span.start.astimezone(
                        zone(self.mentor.availability.time_zone)
                    )
                    preferred = PreferredTime(
                        weekday=local.weekday(), at=local.timetz().replace(tzinfo=None)
                    )
                calendar.add(self.mentor.employee_id, planned_week.span)
                for pair in self.active_pairs:
                    if pair.pair_id in planned_week.pair_ids:
                        calendar.add(pair.mentee.employee_id, planned_week.span)
            planned.append(planned_week)
        return self._settled(planned=tuple(planned), preferred=preferred)

    def place_week(
        self,
        week: Week,
        calendar: BusyCalendar,
        preferred: PreferredTime | None,
        after: datetime,
        members: Sequence[SeriesPair] | None = None,
        *,
        prepared: dict[str, WeeklyWindows] | None = None,
    ) -> PlannedWeek:
        """The week's meeting for `members` (default: the active pairs), starting after
        `after`. 1:1 and shadowing need both people; a group or workshop meeting needs the
        mentor and fits as many mentees as it can."""
        pairs = list(members if members is not None else self.active_pairs)
        ready = prepared if prepared is not None else self._prepared()
        opens = week.span(self.mentor.availability.time_zone)
        base = PlannedWeek(
            sequence=week.sequence, first=week.first, last=week.last, opens_at=opens.start
        )
        window = Span(max(opens.start, after), opens.end)
        if not pairs or window.start >= window.end:
            return base
        mentor_raw, mentor_free = free_in(
            self.mentor.employee_id, ready[self.mentor.employee_id], window, calendar
        )
        mentees = [
            free_in(p.mentee.employee_id, ready[p.mentee.employee_id], window, calendar)
            for p in pairs
        ]
        prefer = self._preferred_instant(week, preferred)
        if self.together:
            placement = place([mentor_free], [free for _, free in mentees], self.length, prefer)
            fits = set(placement.fits) if placement is not None else set()
        else:
            placement = place([mentor_free, mentees[0][1]], [], self.length, prefer)
            fits = {0} if placement is not None else set()
        if placement is None or not fits:
            return base.model_copy(
                update={
                    "unplaced": tuple(
                        Unplaced(pair_id=p.pair_id, reason=self._why(mentor_raw, raw))
                        for p, (raw, _) in zip(pairs, mentees, strict=True)
                    )
                }
            )
        return base.model_copy(
            update={
                "starts_at": placement.span.start,
                "ends_at": placement.span.end,
                "pair_ids": tuple(pairs[i].pair_id for i in sorted(fits)),
                "unplaced": tuple(
                    Unplaced(pair_id=p.pair_id, reason=UnschedulableReason.OUTSIDE_GROUP_TIME)
                    for i, p in enumerate(pairs)
                    if i not in fits
                ),
            }
        )

    def _prepared(self) -> dict[str, WeeklyWindows]:
        people = [self.mentor, *(p.mentee for p in self.pairs)]
        return {p.employee_id: WeeklyWindows(p.availability) for p in people}

    def _why(self, mentor_windows: list[Span], mentee_windows: list[Span]) -> UnschedulableReason:
        common = intersection(mentor_windows, mentee_windows)
        if any(span.length >= self.length for span in common):
            return UnschedulableReason.FULLY_BOOKED
        return UnschedulableReason.NO_COMMON_TIME

    def _preferred_instant(self, week: Week, preferred: PreferredTime | None) -> datetime | None:
        if preferred is None:
            return None
        day = week.day_with(preferred.weekday)
        if day is None:
            return None
        return at_local(day, preferred.at, self.mentor.availability.time_zone)

    def materialise(
        self, until: datetime, timing: Timing, now: datetime
    ) -> tuple[Series, list[Session]]:
        """Turn the planned weeks falling due before `until` into sessions (SessionScheduled)
        and reports (SessionUnschedulable)."""
        sessions: list[Session] = []
        remaining = list(self.planned)
        through = self.materialised_through
        reports: list[SessionUnschedulable] = []
        while remaining and remaining[0].due_at < until:
            week = remaining.pop(0)
            through = week.sequence
            sessions.extend(self._sessions_of(week, timing, now))
            reports.extend(
                SessionUnschedulable(
                    session_id=session_id(u.pair_id, week.sequence),
                    pair_id=u.pair_id,
                    program_id=self.program_id,
                    sequence=week.sequence,
                    week_starts_on=week.first,
                    week_ends_on=week.last,
                    reason=u.reason,
                    reported_at=now,
                )
                for u in week.unplaced
            )
        if through == self.materialised_through:
            return self, []
        series = self._settled(
            planned=tuple(remaining),
            materialised_through=through,
            reported=self.reported + tuple(self._reported(r) for r in reports),
        )
        return series.recording(*reports), sessions

    def report(
        self, week: Week, pair_id: str, reason: UnschedulableReason, now: datetime
    ) -> Series:
        """A published week this pair gets no session in (a late group joiner it does not
        suit, a move that left no time): recorded, and announced."""
        event = SessionUnschedulable(
            session_id=session_id(pair_id, week.sequence),
            pair_id=pair_id,
            program_id=self.program_id,
            sequence=week.sequence,
            week_starts_on=week.first,
            week_ends_on=week.last,
            reason=reason,
            reported_at=now,
        )
        reported = self.model_copy(update={"reported": (*self.reported, self._reported(event))})
        return reported.recording(event)

    @staticmethod
    def _reported(event: SessionUnschedulable) -> ReportedWeek:
        return ReportedWeek(
            sequence=event.sequence,
            first=event.week_starts_on,
            pair_id=event.pair_id,
            reason=event.reason,
        )

    def _sessions_of(self, week: PlannedWeek, timing: Timing, now: datetime) -> list[Session]:
        span = week.span
        if span is None:
            return []
        mentor = self.mentor
        shared = meeting_id(self.series_id, week.sequence) if self.together else None
        return [
            Session.schedule(
                series_id=self.series_id,
                meeting=shared,
                pair_id=pair.pair_id,
                program_id=self.program_id,
                format=self.format,
                sequence=week.sequence,
                mentor=(mentor.employee_id, mentor.availability.time_zone),
                mentee=(pair.mentee.employee_id, pair.mentee.availability.time_zone),
                span=span,
                timing=timing,
                now=now,
            )
            for pair in self.active_pairs
            if pair.pair_id in week.pair_ids
        ]

    def with_pair(self, pair: SeriesPair) -> Series:
        """A group or workshop gains a pair (its weeks are planned again by the caller); a
        group whose pairs had all ended runs again."""
        pairs = (*tuple(p for p in self.pairs if p.pair_id != pair.pair_id), pair)
        return self._settled(pairs=pairs, ended=False)

    def without_pair(self, pair_id: str) -> Series:
        """A pair ended: it leaves the plan; the series ends with its last pair. Applies to an
        ended series too: a pair's end reaches it by two routes (PairEnded, and the departure
        or close that caused it) in either order, and both orders must leave the same series."""
        pairs = tuple(
            p.model_copy(update={"active": False}) if p.pair_id == pair_id else p
            for p in self.pairs
        )
        active = {p.pair_id for p in pairs if p.active}
        if not active:
            return self._settled(pairs=pairs, planned=(), ended=True)
        planned = tuple(
            w.model_copy(
                update={
                    "pair_ids": tuple(i for i in w.pair_ids if i in active),
                    "unplaced": tuple(u for u in w.unplaced if u.pair_id in active),
                }
            )
            for w in self.planned
        )
        return self._settled(pairs=pairs, planned=planned, ended=self.ended)

    def end(self) -> Series:
        """Nothing more is planned (program closed, mentor gone); each pair stays active until
        its own PairEnded arrives, so the outcome is the same whichever comes first."""
        return self._settled(planned=(), ended=True)

    def moved(self, employee_id: str, time_zone: str) -> Series:
        """A member now lives in `time_zone`: their weekly slots stay as wall-clock times there
        (the caller plans the remaining weeks again)."""

        def relocated(person: Person) -> Person:
            if person.employee_id != employee_id:
                return person
            availability = person.availability.model_copy(update={"time_zone": time_zone})
            return person.model_copy(update={"availability": availability})

        pairs = tuple(p.model_copy(update={"mentee": relocated(p.mentee)}) for p in self.pairs)
        return self._settled(mentor=relocated(self.mentor), pairs=pairs)

    def renamed(self, employee_id: str, pseudonym: str) -> Series:
        """Erasure: the person becomes `pseudonym` and their availability is forgotten."""

        def erased(person: Person) -> Person:
            if person.employee_id != employee_id:
                return person
            return Person(
                employee_id=pseudonym, availability=Availability(time_zone="UTC", slots=())
            )

        pairs = tuple(p.model_copy(update={"mentee": erased(p.mentee)}) for p in self.pairs)
        return self._settled(mentor=erased(self.mentor), pairs=pairs)


def new_series(
    *,
    series_id: str,
    program_id: str,
    format: ProgramFormat,
    cadence_weeks: int,
    session_minutes: int,
    starts_on: date,
    ends_on: date,
    mentor: Person,
    pairs: Iterable[SeriesPair],
) -> Series:
    series = Series(
        series_id=series_id,
        program_id=program_id,
        format=format,
        cadence_weeks=cadence_weeks,
        session_minutes=session_minutes,
        starts_on=starts_on,
        ends_on=ends_on,
        mentor=mentor,
        pairs=tuple(pairs),
    )
    return series._settled()
