"""A whole reverse-mentoring program through the four live services, on simulated time.

A synthetic company publishes its HR feed; a weekly program of 45-minute sessions opens for
twelve weeks; people enroll, a matching run pairs them (auto-accepted), the scheduling service
plans their sessions. Then the scenario moves the shared simulated clock one day at a time and
the participants behave like people do (`tandem_simulation.behaviour`): they meet or miss,
cancel or move a session the day before, report attendance, give feedback, assess, answer the
surveys; HR churn happens (departures, a manager change that puts a mentor above their mentee,
a time-zone move). After the last week the program closes and the metrics service's report is
read. Everything the services accepted is recorded in a `GroundTruth`, so a test can recompute
the KPIs independently (`tandem_simulation.truth.expected_kpis`).

Each day waits until the scheduling and feedback tickers have worked through the new time
(`tandem_<service>_ticker_caught_up_to_timestamp_seconds`), so time-driven rules fire on the
simulated day they are due, and until the platform has worked off what the day's steps set in
motion (`tandem_devkit.backlogs`), so two runs of one plan end in the same state.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time as timer
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka.errors import KafkaError

from tandem_contracts import encode
from tandem_contracts.events import EmployeeDeparted, EmployeeUpdated
from tandem_devkit.backlogs import Backlogs
from tandem_devkit.embedded import StackInfo
from tandem_devkit.faults import ServiceGate
from tandem_devkit.runs import run_matching
from tandem_devkit.services import SERVICES
from tandem_servicekit.auth import HR_ADMIN, PARTICIPANT, PROGRAM_MANAGER
from tandem_servicekit.clock import set_simulated_time
from tandem_servicekit.http import COMMIT_UNKNOWN
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, Profile
from tandem_servicekit.testing import wait_until
from tandem_simulation import REFERENCE, TOPIC_NAMES, SyntheticPerson, company
from tandem_simulation.behaviour import Behaviour, SessionFate
from tandem_simulation.truth import GroundTruth, PairTruth

MANAGER = "demo-program-manager"
DEMO_COMPANY = 600
"""`make demo`'s company: 2,000 people (the size the issue asks for) run into write-conflict
contention on the embedded database (see the README); 600 finish in about six minutes (349 s
in `make bench-program`)."""
ACTIONABLE = ("planned", "scheduled")
BUSY_BUDGET_S = 180.0
"""How long a command that was answered 503 with nothing stored is sent again: past the time
a killed process's unfinished transaction holds its documents (the embedded server releases
them after about 16 s, MongoDB after `transactionLifetimeLimitSeconds`, 60 s)."""
RETRY_DAYS = 5


@dataclass(frozen=True)
class ScenarioPlan:
    employees: int = 2_000
    seed: int = 11
    starts_on: date = REFERENCE
    weeks: int = 12
    session_minutes: int = 45
    concurrency: int = 8
    departures: int = 0
    """People in active pairs who leave during week 3 (default: 1% of the pairs, at least 1)."""
    conflicts: int = 2
    """Mentees whose new manager (week 5) is their own mentor: a reporting-line conflict."""
    zone_moves: int = 2
    """Mentors who move to another time zone in week 7."""
    mentor_capacity: int = 2
    """Mentees per mentor. The scheduling service plans a mentor's pairs first come, first
    served, in the order it reads their PairCreated events, which travel on different
    partitions: with more than one, which pair gets the mentor's preferred slot may differ
    between two runs of one plan (the proofs that compare runs use 1)."""
    settle_daily: bool = True
    """Wait for the platform's backlogs twice a simulated day, so a run is reproducible to the
    last document (the proofs); without it, days overlap with the services' own work (faster:
    the demo), and what a participant does may shift by a day with the machine's speed."""

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(weeks=self.weeks, days=-1)

    @property
    def days(self) -> int:
        """Simulated days from the program's start to its close (a few after its end, so the
        final assessments and the NPS are answered and the last sessions are accounted for)."""
        return 7 * self.weeks + 5

    def program(self) -> dict[str, object]:
        return {
            "name": "Reverse mentoring, simulated",
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "duration_weeks": self.weeks,
            "cadence_weeks": 1,
            "session_minutes": self.session_minutes,
            "format": "one_to_one",
            "topics": list(TOPIC_NAMES),
            "mentor_capacity": self.mentor_capacity,
            "auto_accept": True,
        }


def program_start_clock(plan: ScenarioPlan) -> datetime:
    """Where the simulated clock starts: a week before the program (HR feed, enrollment and
    matching happen then); write it before the services start."""
    return datetime.combine(plan.starts_on - timedelta(days=7), time(8), UTC)


@dataclass(frozen=True)
class Endpoints:
    pairing: str
    scheduling: str
    feedback: str
    metrics: str


@dataclass
class Session:
    session_id: str
    pair_id: str
    sequence: int
    starts_at: datetime
    minutes: int
    status: str
    done: set[str] = field(default_factory=set)
    """What the scenario did about it: "before" (cancel/move), "attendance", "feedback"."""


@dataclass
class ProgramOutcome:
    program_id: str
    run: dict[str, Any]
    truth: GroundTruth
    report: dict[str, Any]
    seconds_per_week: list[float]
    setup_seconds: float
    people: list[SyntheticPerson]
    phases: dict[str, float]
    settle_seconds: float = 0.0
    """Of the whole run, the time spent waiting for the services' backlogs."""


DayHook = Callable[[int, date], None]
PhaseHook = Callable[[str, float], None]


class ProgramScenario:
    """Drives one program; `run` returns its outcome. Not reentrant."""

    def __init__(
        self,
        stack: StackInfo,
        endpoints: Endpoints,
        clock_file: Path,
        plan: ScenarioPlan | None = None,
        *,
        topic_prefix: str = "",
        database_suffix: str = "",
        gate: ServiceGate | None = None,
    ) -> None:
        self.stack = stack
        self.gate = gate or ServiceGate()
        """Every request passes it: a fault injector kills a service only between requests."""
        self.urls = endpoints
        self.clock_file = clock_file
        self.plan = plan or ScenarioPlan()
        self.topic_prefix = topic_prefix
        self.databases = {name: f"tandem_{name}{database_suffix}" for name in SERVICES}
        self.backlogs = Backlogs(
            stack.kafka_bootstrap, stack.mongo_uri, list(self.databases.values()), topic_prefix
        )
        """Opened and closed by `run`: one run per scenario."""
        self.behaviour = Behaviour(self.plan.seed)
        self.truth = GroundTruth()
        self.sessions: dict[str, Session] = {}
        self.now = program_start_clock(self.plan)
        self._tokens: dict[str, dict[str, str]] = {}
        self._limit = asyncio.Semaphore(self.plan.concurrency)
        self._http: dict[str, httpx.AsyncClient] = {}
        self.people: dict[str, SyntheticPerson] = {}
        self.program_id = ""
        self.retrying: list[tuple[Callable[[], Awaitable[bool]], int]] = []
        """Actions a service refused because it did not know their subject yet, with the
        number of days tried."""
        self.on_phase: PhaseHook | None = None
        self.busy_answers = 0
        """503 answers (the service lost write conflicts for its whole retry budget)."""
        self.phases: dict[str, float] = {}
        """Seconds each setup phase took (HR feed, enrollment, matching, planning)."""
        self.settle_seconds = 0.0
        """Time spent waiting for the services' own work to finish (see `quiescent`)."""
        self.weeks_begun = asyncio.Event()
        """Set once the program is planned and the first simulated day begins."""
        self.replanned: set[str] = set()
        """Pairs whose sessions an HR change re-planned: read again at the next step."""

    # -- plumbing -----------------------------------------------------------------------------

    def headers(self, employee_id: str) -> dict[str, str]:
        """A participant's token (minted once: they live an hour of real time)."""
        if employee_id not in self._tokens:
            self._tokens[employee_id] = self.stack.auth_headers(employee_id, [PARTICIPANT])
        return self._tokens[employee_id]

    @property
    def hr(self) -> dict[str, str]:
        if "hr" not in self._tokens:
            self._tokens["hr"] = self.stack.auth_headers("scenario-hr", [HR_ADMIN])
        return self._tokens["hr"]

    @property
    def manager(self) -> dict[str, str]:
        if MANAGER not in self._tokens:
            self._tokens[MANAGER] = self.stack.auth_headers(MANAGER, [PROGRAM_MANAGER])
        return self._tokens[MANAGER]

    async def call(
        self, service: str, method: str, path: str, who: dict[str, str], body: Any = None
    ) -> httpx.Response:
        """One request, at most `concurrency` at a time; a 503 that says nothing was stored is
        sent again after its Retry-After, anything else is the caller's to judge."""
        deadline = timer.monotonic() + BUSY_BUDGET_S
        while True:
            async with self.gate.request(service), self._limit:
                reply = await self._http[service].request(method, path, headers=who, json=body)
            if reply.status_code != 503 or COMMIT_UNKNOWN in reply.text:
                return reply  # an unknown commit may have landed: never sent twice
            if timer.monotonic() > deadline:
                return reply
            self.busy_answers += 1
            await asyncio.sleep(float(reply.headers.get("retry-after", "1")))

    async def ok(
        self, service: str, method: str, path: str, who: dict[str, str], body: Any = None
    ) -> Any:
        reply = await self.call(service, method, path, who, body)
        if reply.status_code >= 400:
            raise RuntimeError(f"{method} {service}{path}: {reply.status_code} {reply.text}")
        return reply.json()

    async def all_of(self, calls: Iterable[Awaitable[Any]]) -> list[Any]:
        return list(await asyncio.gather(*calls))

    def set_clock(self, at: datetime) -> None:
        self.now = at
        set_simulated_time(self.clock_file, at)

    async def gauges(self, service: str, *prefixes: str) -> list[float]:
        """The values of the service's Prometheus samples whose line starts with a prefix."""
        text = (await self.call(service, "GET", "/metrics", {})).text
        return [float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefixes)]

    async def caught_up(self, timeout_s: float = 120.0) -> None:
        """Until the scheduling and feedback tickers have completed a pass begun at `now`."""
        wanted = self.now.timestamp()

        async def ticked(service: str) -> bool:
            name = f"tandem_{service}_ticker_caught_up_to_timestamp_seconds "
            return any(value >= wanted for value in await self.gauges(service, name))

        for service in ("scheduling", "feedback"):
            await wait_until(
                functools.partial(ticked, service),
                timeout_s,
                0.02,
                what=f"the {service} ticker reaching {self.now.isoformat()}",
            )

    async def publish_hr(self, events: list[Any]) -> None:
        kafka = KafkaSettings(
            bootstrap_servers=self.stack.kafka_bootstrap,
            profile=Profile.EMBEDDED,
            topic_prefix=self.topic_prefix,
        )
        records = [encode(e, source="/hr/scenario-workday", time=self.now) for e in events]
        for attempt in range(1, 11):
            hr = KafkaPublisher(kafka, client_id="scenario-hr-system")
            try:
                await hr.start()
                await hr.send_many([ProducerRecord.of(r, self.topic_prefix) for r in records])
                return
            except (KafkaError, OSError):
                if attempt == 10:
                    raise
                # The same records again (same ce_id): what arrived twice is deduplicated.
                await asyncio.sleep(2)
            finally:
                with contextlib.suppress(KafkaError, OSError):
                    await hr.stop()

    # -- the program ----------------------------------------------------------------------------

    async def run(
        self, on_day: DayHook | None = None, on_phase: PhaseHook | None = None
    ) -> ProgramOutcome:
        """The whole program; `on_day` is told each simulated day done, `on_phase` each setup
        phase with its seconds."""
        self.on_phase = on_phase
        started = timer.monotonic()
        self.set_clock(self.now)
        # A connection per request: a request sent on a kept-alive connection that the server
        # is closing at that moment fails without telling whether it was applied (seen here
        # even with the client dropping idle connections long before uvicorn's 5 s, when this
        # busy event loop came back late to a pooled one); a fresh loopback connection costs
        # well under a millisecond.
        limits = httpx.Limits(
            max_connections=self.plan.concurrency * 2, max_keepalive_connections=0
        )
        for name in ("pairing", "scheduling", "feedback", "metrics"):
            self._http[name] = httpx.AsyncClient(
                base_url=getattr(self.urls, name), timeout=120, limits=limits
            )
        try:
            await self.backlogs.__aenter__()
            run = await self.set_up()
            self.weeks_begun.set()
            setup_s = timer.monotonic() - started
            per_week: list[float] = []
            week_started = timer.monotonic()
            for day in range(self.plan.days):
                await self.one_day(day)
                if on_day is not None:
                    on_day(day, self.plan.starts_on + timedelta(days=day))
                if day % 7 == 6 or day == self.plan.days - 1:
                    per_week.append(timer.monotonic() - week_started)
                    week_started = timer.monotonic()
            await self.close()
            await self.quiescent()
            report = await self.settled_report()
        finally:
            for client in self._http.values():
                await client.aclose()
            await self.backlogs.__aexit__()
        return ProgramOutcome(
            self.program_id,
            run,
            self.truth,
            report,
            per_week,
            setup_s,
            list(self.people.values()),
            self.phases,
            self.settle_seconds,
        )

    def _phase(self, name: str, since: float) -> float:
        now = timer.monotonic()
        self.phases[name] = now - since
        if self.on_phase is not None:
            self.on_phase(name, now - since)
        return now

    async def set_up(self) -> dict[str, Any]:
        people = company(self.plan.employees, seed=self.plan.seed)
        self.people = {p.employee_id: p for p in people}
        started = timer.monotonic()
        await self.publish_hr([p.hr_event() for p in people])
        await self.until_known(len(people))
        started = self._phase("hr feed", started)
        program = await self.ok("pairing", "POST", "/programs", self.manager, self.plan.program())
        self.program_id = program["program_id"]
        await self.ok("pairing", "POST", f"/programs/{self.program_id}/open", self.manager)
        enrolled = [p for p in people if p.role is not None]
        await self.all_of(
            self.ok(
                "pairing",
                "POST",
                f"/programs/{self.program_id}/enrollments",
                self.manager,
                self._enrollment(p),
            )
            for p in enrolled
        )
        started = self._phase("enrollment", started)
        async with self.gate.request("pairing"), self._limit:
            run = await run_matching(self._http["pairing"], self.program_id, headers=self.manager)
        await self.load_pairs()
        started = self._phase("matching", started)
        await self.load_sessions(list(self.truth.pairs))
        started = self._phase("planning", started)
        await self.quiescent()  # the program starts on a platform that has caught up
        self._phase("backlogs drained", started)
        return run

    def _enrollment(self, person: SyntheticPerson) -> dict[str, Any]:
        """The person's request, their capacity within the program's."""
        request = dict(person.enrollment_request())
        if "capacity" in request:
            request["capacity"] = min(int(str(request["capacity"])), self.plan.mentor_capacity)
        return request

    async def until_known(self, count: int) -> None:
        """Until the pairing projection holds the whole HR feed (it consumes asynchronously)."""

        async def all_known() -> bool:
            reply = await self.call("pairing", "GET", "/employees?limit=1", self.hr)
            return reply.status_code == 200 and reply.json()["total"] >= count

        await wait_until(all_known, 300, 0.1, what="pairing receiving the HR feed")

    async def load_pairs(self) -> None:
        skip = 0
        while True:
            page = await self.ok(
                "pairing",
                "GET",
                f"/programs/{self.program_id}/pairs?state=active&limit=1000&skip={skip}",
                self.manager,
            )
            for p in page["items"]:
                topics = tuple(p["breakdown"]["shared_topics"]) or TOPIC_NAMES
                self.truth.pairs[p["pair_id"]] = PairTruth(
                    p["pair_id"], p["mentor_id"], p["mentee_id"], topics
                )
            skip += len(page["items"])
            if not page["items"] or skip >= page["total"]:
                return

    async def load_sessions(self, pair_ids: list[str]) -> None:
        """The pairs' series as the scheduling service planned them, `concurrency` pairs at a
        time, each polled until planned (slowly: the database is busy planning)."""
        step = self.plan.concurrency
        for start in range(0, len(pair_ids), step):
            await self.all_of(
                wait_until(functools.partial(self._series, p), 300, 0.2, what=f"the plan of {p}")
                for p in pair_ids[start : start + step]
            )

    async def _series(self, pair_id: str) -> bool:
        path = f"/pairs/{pair_id}/sessions?limit=1000"
        reply = await self.call("scheduling", "GET", path, self.manager)
        if reply.status_code != 200 or not reply.json()["items"]:
            return False
        for item in reply.json()["items"]:
            self._remember(item)
        return True

    def _remember(self, item: dict[str, Any]) -> None:
        if not item.get("starts_at"):
            return
        starts_at = datetime.fromisoformat(item["starts_at"])
        ends_at = datetime.fromisoformat(item["ends_at"])
        known = self.sessions.get(item["session_id"])
        if known is None:
            self.sessions[item["session_id"]] = Session(
                item["session_id"],
                item["pair_id"],
                item["sequence"],
                starts_at,
                int((ends_at - starts_at).total_seconds() // 60),
                item["status"],
            )
        else:
            known.starts_at = starts_at
            known.status = item["status"]

    # -- one simulated day ------------------------------------------------------------------

    async def one_day(self, day: int) -> None:
        """Midnight (UTC) starting `day`: account for yesterday, churn, prepare today.

        With `plan.settle_daily`, what the services do on their own (tickers, consumers) is
        waited for wherever a later step depends on it, so a run does the same thing whatever
        the machine's speed: after the tick of the new day, and after the attendance reports
        and the day's HR churn (feedback requests follow from the first; ended pairs and
        cancelled sessions from the second). The later steps are HTTP commands whose effects
        the next tick does not depend on."""
        self.set_clock(datetime.combine(self.plan.starts_on + timedelta(days=day), time(), UTC))
        await self.caught_up()
        if self.plan.settle_daily:
            await self.quiescent()
        if self.replanned:
            await self.load_sessions(sorted(self.replanned))
            self.replanned.clear()
        await self.attendance()
        await self.churn(day)
        if self.plan.settle_daily:
            await self.quiescent()
        await self.retry()
        await self.feedback()
        await self.before_sessions()
        await self.assessments(day)
        await self.surveys(day)

    def _live(self, session: Session) -> bool:
        return session.pair_id not in self.truth.ended and session.status in ACTIONABLE

    def _fate(self, session: Session) -> tuple[PairTruth, SessionFate]:
        pair = self.truth.pairs[session.pair_id]
        return pair, self.behaviour.session_fate(pair.mentor_id, pair.mentee_id, session.sequence)

    async def before_sessions(self) -> None:
        """The day before: some sessions are cancelled, some moved within their day."""
        tomorrow = self.now + timedelta(days=1)
        due = [
            s
            for s in self.sessions.values()
            if self._live(s) and self.now < s.starts_at < tomorrow and "before" not in s.done
        ]
        await self.all_of(self._before(s) for s in sorted(due, key=lambda s: s.session_id))

    async def _before(self, session: Session) -> None:
        session.done.add("before")
        pair, fate = self._fate(session)
        mentor = self.headers(pair.mentor_id)
        if fate is SessionFate.CANCELLED:
            path = f"/sessions/{session.session_id}/cancel"
            reply = await self.call("scheduling", "POST", path, mentor, {"note": "simulated"})
            if reply.status_code == 200:
                session.status = "cancelled"
                self.truth.cancelled.add(session.session_id)
        elif fate is SessionFate.RESCHEDULED:
            for minutes in (15, -15, 30, -30):
                at = session.starts_at + timedelta(minutes=minutes)
                if at <= self.now:
                    continue
                path = f"/sessions/{session.session_id}/reschedule"
                body = {"starts_at": at.isoformat()}
                reply = await self.call("scheduling", "POST", path, mentor, body)
                if reply.status_code == 200:
                    session.starts_at = at
                    self.truth.rescheduled.add(session.session_id)
                    return

    async def attendance(self) -> None:
        due = [
            s
            for s in self.sessions.values()
            if s.status in ACTIONABLE
            and s.starts_at < self.now
            and "attendance" not in s.done
            and s.pair_id in self.truth.pairs
        ]
        await self.all_of(self._attend(s) for s in sorted(due, key=lambda s: s.session_id))

    async def _attend(self, session: Session) -> None:
        session.done.add("attendance")
        pair, fate = self._fate(session)
        path = f"/sessions/{session.session_id}/attendance"
        if fate is SessionFate.UNREPORTED:
            # Begun and still scheduled: nothing can cancel it any more, so it will expire.
            reply = await self.call(
                "scheduling", "GET", f"/sessions/{session.session_id}", self.manager
            )
            if reply.status_code == 200 and reply.json()["status"] == "scheduled":
                self.truth.unreported.add(session.session_id)
            session.status = "missed"
            return
        if fate is SessionFate.MISSED:
            body: dict[str, Any] = {"outcome": "partner_absent"}
            reply = await self.call("scheduling", "POST", path, self.headers(pair.mentor_id), body)
            if reply.status_code == 200:
                self.truth.missed.add(session.session_id)
                session.status = "missed"
            elif reply.status_code in (404, 409):
                await self._changed_meanwhile(session)
            return
        minutes = self.behaviour.held_minutes(
            pair.mentor_id, pair.mentee_id, session.sequence, session.minutes
        )
        body = {"outcome": "held", "minutes": minutes}
        reply = await self.call("scheduling", "POST", path, self.headers(pair.mentor_id), body)
        if reply.status_code in (404, 409):
            await self._changed_meanwhile(session)
            return
        if reply.status_code != 200:
            raise RuntimeError(
                f"attendance of {session} at {self.now.isoformat()}: {reply.status_code} "
                f"{reply.text}"
            )
        session.status = "held"
        self.truth.held[session.session_id] = minutes
        self.truth.held_pair[session.session_id] = pair.pair_id
        if self.behaviour.mentee_reports_too(pair.mentor_id, pair.mentee_id, session.sequence):
            await self.ok("scheduling", "POST", path, self.headers(pair.mentee_id), body)

    async def _changed_meanwhile(self, session: Session) -> None:
        """The service refused an account: the session was cancelled, moved or never published
        (an HR change re-planned its week). Read the pair's series again; a moved session is
        accounted for when it has begun."""
        before = session.starts_at
        await self.load_sessions([session.pair_id])
        if session.status in ACTIONABLE and session.starts_at != before:
            session.done.discard("attendance")

    async def feedback(self) -> None:
        """Both sides of yesterday's held sessions, once the feedback service knows them."""
        due = [
            s
            for s in self.sessions.values()
            if s.status == "held"
            and "feedback" not in s.done
            and s.starts_at < self.now - timedelta(days=1)
        ]
        await self.all_of(self._feedback(s) for s in sorted(due, key=lambda s: s.session_id))

    async def _feedback(self, session: Session) -> None:
        pair = self.truth.pairs[session.pair_id]
        path = f"/sessions/{session.session_id}/feedback"
        for side, person in (("mentor", pair.mentor_id), ("mentee", pair.mentee_id)):
            answer = self.behaviour.feedback(side, pair.mentor_id, pair.mentee_id, session.sequence)
            if answer is None or (session.session_id, side) in self.truth.feedback:
                continue
            body = {"rating": answer.rating, "usefulness": answer.usefulness}
            reply = await self.call("feedback", "POST", path, self.headers(person), body)
            if reply.status_code == 404:
                return  # not consumed yet: tomorrow
            if reply.status_code != 201:
                raise RuntimeError(f"feedback on {session.session_id}: {reply.text}")
            self.truth.feedback[session.session_id, side] = (answer.rating, answer.usefulness)
        session.done.add("feedback")

    def _active_pairs(self) -> list[PairTruth]:
        """By mentor and mentee (never by pair id: ids differ between runs of one plan)."""
        pairs = [p for i, p in self.truth.pairs.items() if i not in self.truth.ended]
        return sorted(pairs, key=lambda p: (p.mentor_id, p.mentee_id))

    async def assessments(self, day: int) -> None:
        phase = {1: "baseline", 7 * self.plan.weeks // 2 + 1: "midpoint"}.get(day)
        if day == 7 * self.plan.weeks + 1:
            phase = "final"
        if phase is None:
            return
        await self.all_of(
            self.until_accepted(functools.partial(self._assess, pair, side, phase))
            for pair in self._active_pairs()
            for side in ("mentee", "mentor")
            if self.behaviour.assesses(side, pair.mentor_id, pair.mentee_id, phase)
        )

    async def until_accepted(self, action: Callable[[], Awaitable[bool]]) -> None:
        """Try `action` now; if the service does not know its subject yet (it consumes events
        asynchronously), again on each of the next days."""
        if not await action():
            self.retrying.append((action, 1))

    async def retry(self) -> None:
        due, self.retrying = self.retrying, []
        for action, attempts in due:
            if await action():
                continue
            if attempts >= RETRY_DAYS:
                raise RuntimeError(f"still refused after {attempts} days: {action}")
            self.retrying.append((action, attempts + 1))

    async def _assess(self, pair: PairTruth, side: str, phase: str) -> bool:
        levels = {
            t: self.behaviour.level(side, pair.mentor_id, pair.mentee_id, t, phase)
            for t in pair.topics
        }
        body = {"levels": [{"topic_name": t, "level": v} for t, v in levels.items()]}
        person = pair.mentor_id if side == "mentor" else pair.mentee_id
        path = f"/pairs/{pair.pair_id}/assessments/{phase}"
        reply = await self.call("feedback", "POST", path, self.headers(person), body)
        if reply.status_code == 404:
            return False
        if reply.status_code != 201:
            raise RuntimeError(f"{phase} assessment of {pair.pair_id}: {reply.text}")
        for topic, level in levels.items():
            self.truth.assessments[pair.pair_id, topic, phase, side] = level
        return True

    async def surveys(self, day: int) -> None:
        """MQS on day 31; the NPS from the day after the end, one pair per person per day (so
        a mentor's last answer is well defined)."""
        end = 7 * self.plan.weeks
        if day == 31:
            kind, rank = "mqs", None
        elif end + 1 <= day <= end + 2:
            kind, rank = "nps", day - end - 1
        else:
            return
        calls = []
        seen: dict[str, int] = {}
        for pair in self._active_pairs():
            for side, person in (("mentor", pair.mentor_id), ("mentee", pair.mentee_id)):
                nth = seen.get(person, 0)
                seen[person] = nth + 1
                if rank is not None and nth != rank:
                    continue
                score = self.behaviour.survey_score(kind, person, pair.mentor_id, pair.mentee_id)
                if score is not None:
                    answer = functools.partial(self._answer, kind, pair, side, person, score)
                    calls.append(self.until_accepted(answer))
        await self.all_of(calls)

    async def _answer(self, kind: str, pair: PairTruth, side: str, person: str, score: int) -> bool:
        path = f"/surveys/{pair.pair_id}.{kind}.1/answer"
        reply = await self.call("feedback", "POST", path, self.headers(person), {"score": score})
        if reply.status_code == 404:
            return False
        if reply.status_code != 201:
            raise RuntimeError(f"{kind} answer of {pair.pair_id}: {reply.text}")
        self.truth.surveys.append((kind, pair.pair_id, side, score))
        return True

    # -- HR churn ----------------------------------------------------------------------------

    async def churn(self, day: int) -> None:
        if day == 16:
            await self.departures()
        elif day == 30:
            await self.conflicts()
        elif day == 44:
            await self.zone_moves()

    def _chosen(self, count: int, why: str) -> list[PairTruth]:
        pairs = self._active_pairs()
        ranked = sorted(pairs, key=lambda p: self.behaviour._u(why, p.mentor_id, p.mentee_id))
        taken: list[PairTruth] = []
        people: set[str] = set()
        for pair in ranked:
            if len(taken) == count:
                break
            if {pair.mentor_id, pair.mentee_id} & people:
                continue
            taken.append(pair)
            people |= {pair.mentor_id, pair.mentee_id}
        return taken

    async def departures(self) -> None:
        count = self.plan.departures or max(1, len(self.truth.pairs) // 100)
        leaving = [p.mentee_id for p in self._chosen(count, "departs")]
        await self.publish_hr(
            [
                EmployeeDeparted(employee_id=e, departed_on=self.now.date(), effective_at=self.now)
                for e in leaving
            ]
        )
        self.truth.departed |= set(leaving)
        for pair in self._active_pairs():
            if {pair.mentor_id, pair.mentee_id} & set(leaving):
                self.truth.ended[pair.pair_id] = "participant_departed"

    def _updated(self, employee_id: str, **changes: Any) -> EmployeeUpdated:
        record = self.people[employee_id].hr_event().model_dump(exclude={"hired_on"})
        return EmployeeUpdated(**{**record, **changes, "effective_at": self.now})

    def _chain(self, employee_id: str) -> list[str]:
        chain, seen = [], {employee_id}
        manager = self.people[employee_id].manager_id
        while manager and manager not in seen:
            chain.append(manager)
            seen.add(manager)
            manager = self.people[manager].manager_id
        return chain

    def _only_conflict(self, pair: PairTruth) -> bool:
        """Putting the mentee under their mentor breaks this pair only: no other active pair
        gets one member below the mentee and the other at or above the mentor."""
        above = {pair.mentor_id, *self._chain(pair.mentor_id)}

        def below(employee_id: str) -> bool:
            return pair.mentee_id in self._chain(employee_id)

        return not any(
            other.pair_id != pair.pair_id
            and (
                (below(other.mentee_id) and other.mentor_id in above)
                or (below(other.mentor_id) and other.mentee_id in above)
            )
            for other in self._active_pairs()
        )

    async def conflicts(self) -> None:
        candidates = self._chosen(self.plan.conflicts * 4, "conflict")
        chosen = [p for p in candidates if self._only_conflict(p)][: self.plan.conflicts]
        await self.publish_hr([self._updated(p.mentee_id, manager_id=p.mentor_id) for p in chosen])
        for pair in chosen:
            self.truth.ended[pair.pair_id] = "reporting_line_conflict"

    async def zone_moves(self) -> None:
        movers = [p.mentor_id for p in self._chosen(self.plan.zone_moves, "moves")]
        zones = {p.time_zone for p in self.people.values()}
        events = []
        for mentor in movers:
            current = self.people[mentor].time_zone
            new_zone = sorted(z for z in zones if z != current)[0]
            events.append(self._updated(mentor, time_zone=new_zone))
            self.truth.moved_zone.add(mentor)
        await self.publish_hr(events)
        self.replanned |= {p.pair_id for p in self._active_pairs() if p.mentor_id in movers}

    # -- the end -------------------------------------------------------------------------------

    async def close(self) -> None:
        await self.ok("pairing", "POST", f"/programs/{self.program_id}/close", self.manager)
        for pair_id in self.truth.pairs:
            self.truth.ended.setdefault(pair_id, "completed")

    async def settled_report(self, timeout_s: float = 300.0) -> dict[str, Any]:
        """The metrics service's report once every backlog is worked off and two reads agree."""
        path = f"/programs/{self.program_id}/report"
        deadline = timer.monotonic() + timeout_s
        last: dict[str, Any] | None = None
        while True:
            await self.quiescent(timeout_s)
            report: dict[str, Any] = await self.ok("metrics", "GET", path, self.manager)
            comparable = {k: v for k, v in report.items() if k != "computed_at"}
            if comparable == last:
                return report
            if timer.monotonic() > deadline:
                raise TimeoutError("the metrics report did not settle")
            last = comparable

    async def quiescent(self, timeout_s: float = 600.0) -> float:
        """Until every service has published its outbox and every consumer group has committed
        everything on its topics (`Backlogs`, read from the broker and the databases);
        returns the seconds waited."""
        waited = await self.backlogs.settled(timeout_s)
        self.settle_seconds += waited
        return waited
