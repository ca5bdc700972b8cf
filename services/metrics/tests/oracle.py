"""An independent oracle: every KPI recomputed in plain Python straight from the raw event log
(no facts, no projection), to check the projection and `kpis.compute` against."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tandem_contracts import Event
from tandem_contracts import events as ev


def _day(d: date) -> datetime:
    return datetime.combine(d, time(0), UTC)


def _shown(values_by_person: dict[str, list[float]], k: int, how: str = "mean") -> Any:
    people = [p for p, v in values_by_person.items() if v]
    if len(people) < k:
        return None
    if how == "nps":
        last = [values_by_person[p][-1] for p in people]
        good = len([s for s in last if s >= 9])
        bad = len([s for s in last if s <= 6])
        return round(100.0 * (good - bad) / len(last), 4)
    flat = [v for p in people for v in values_by_person[p]]
    return round(sum(flat) / len(flat), 4)


def _share(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None


def oracle(log: list[Event], program_id: str, now: datetime, k: int) -> dict[str, Any]:
    opened = [e for e in log if isinstance(e, ev.ProgramOpened) and e.program_id == program_id]
    program = opened[-1]
    hired: dict[str, date] = {}
    departed: dict[str, date] = {}
    enrolled: dict[str, ev.ParticipantEnrolled] = {}
    withdrawn: set[str] = set()
    created: dict[str, ev.PairCreated] = {}
    ended: dict[str, ev.PairEnded] = {}
    declined: set[str] = set()
    sessions: dict[str, dict[str, Any]] = {}
    submitted: dict[tuple[str, str], ev.FeedbackSubmitted] = {}
    answered: dict[tuple[str, str], ev.SurveyAnswered] = {}
    goals: dict[str, dict[str, Any]] = {}
    levels: dict[tuple[str, str, str, str], int] = {}
    for e in log:
        if isinstance(e, ev.EmployeeHired):
            hired[e.employee_id] = e.hired_on
        elif isinstance(e, ev.EmployeeDeparted):
            departed[e.employee_id] = e.departed_on
        elif getattr(e, "program_id", program_id) != program_id:
            continue
        elif isinstance(e, ev.ParticipantEnrolled):
            enrolled[e.enrollment_id] = e
        elif isinstance(e, ev.ParticipantWithdrawn):
            withdrawn.add(e.enrollment_id)
        elif isinstance(e, ev.PairCreated):
            created[e.pair_id] = e
        elif isinstance(e, ev.PairEnded):
            ended[e.pair_id] = e
        elif isinstance(e, ev.PairDeclined):
            declined.add(e.pair_id)
        elif isinstance(e, ev.FeedbackSubmitted):
            submitted[e.session_id, e.author_role.value] = e
        elif isinstance(e, ev.SurveyAnswered):
            answered[e.survey_id, e.respondent_role.value] = e
        elif isinstance(e, ev.GoalSet):
            goals.setdefault(e.goal_id, {"achieved": False}).update(
                pair=e.pair_id, owner=e.owner_role.value
            )
        elif isinstance(e, ev.GoalAchieved):
            goals.setdefault(e.goal_id, {}).update(
                pair=e.pair_id, owner=e.owner_role.value, achieved=True
            )
        elif isinstance(e, ev.CompetenceAssessed):
            levels[e.pair_id, e.topic_name, e.phase.value, e.assessor_role.value] = e.level
        elif hasattr(e, "session_id"):
            s = sessions.setdefault(e.session_id, {"pair": e.pair_id})  # type: ignore[attr-defined]
            if isinstance(e, ev.SessionScheduled):
                s["scheduled"], s["starts"] = True, e.starts_at
            elif isinstance(e, ev.SessionRescheduled):
                s["starts"] = e.starts_at
            elif isinstance(e, ev.SessionCancelled):
                s["cancelled"] = True
            elif isinstance(e, ev.SessionHeld):
                s["held"], s["minutes"] = e.held_at, e.duration_minutes
            elif isinstance(e, ev.SessionMissed):
                s["missed"] = True
            elif isinstance(e, ev.SessionUnschedulable):
                s["unschedulable"] = True
            elif isinstance(e, ev.FeedbackRequested):
                s["requested"] = True

    def state(s: dict[str, Any]) -> str | None:
        for flag, name in (
            ("held", "held"),
            ("missed", "missed"),
            ("cancelled", "cancelled"),
            ("scheduled", "scheduled"),
            ("unschedulable", "unschedulable"),
        ):
            if s.get(flag):
                return name
        return None

    today = now.date()

    def active_on(d: date) -> set[str]:
        return {p for p, h in hired.items() if h <= d and (p not in departed or departed[p] > d)}

    staying = {e.employee_id for i, e in enrolled.items() if i not in withdrawn}
    active = active_on(today)
    mentees_in = {
        e.employee_id
        for i, e in enrolled.items()
        if i not in withdrawn and e.role.value == "mentee"
    }
    matched = {p.mentee.employee_id for p in created.values()}
    mentee_pool = mentees_in | matched
    waits = sorted(
        max((p.created_at - enrolled[p.mentee.enrollment_id].enrolled_at).total_seconds(), 0.0)
        for p in created.values()
        if p.mentee.enrollment_id in enrolled
    )
    last_day = _day(program.ends_on + timedelta(days=1))
    early = len(
        [
            x
            for x in ended.values()
            if x.pair_id in created
            and x.reason.value not in ("completed", "program_closed")
            and x.ended_at < last_day
        ]
    )
    counts = dict.fromkeys(("scheduled", "held", "missed", "cancelled", "unschedulable"), 0)
    for s in sessions.values():
        if state(s):
            counts[state(s)] += 1  # type: ignore[index]
    due = [
        s
        for s in sessions.values()
        if state(s) in ("held", "missed")
        or (state(s) == "scheduled" and s.get("starts") is not None and s["starts"] <= now)
    ]
    windows = met = 0
    for p in created.values():
        step = timedelta(weeks=p.cadence_weeks)
        stop = min(now, _day(p.ends_on + timedelta(days=1)))
        if p.pair_id in ended:
            stop = min(stop, ended[p.pair_id].ended_at)
        start = _day(p.starts_on)
        held_at = [s["held"] for s in sessions.values() if s["pair"] == p.pair_id and s.get("held")]
        while start + step <= stop:
            windows += 1
            met += 1 if [h for h in held_at if start <= h < start + step] else 0
            start += step
    feedback: dict[str, dict[str, Any]] = {}
    for side in ("mentor", "mentee"):
        asked: dict[str, list[float]] = {}
        rated: dict[str, list[float]] = {}
        requested = 0
        for sid, s in sessions.items():
            pair = created.get(s["pair"])
            if not s.get("requested") or pair is None:
                continue
            who = pair.mentor.employee_id if side == "mentor" else pair.mentee.employee_id
            requested += 1
            got = submitted.get((sid, side))
            asked.setdefault(who, []).append(1.0 if got else 0.0)
            if got:
                rated.setdefault(who, []).append(float(got.rating))
        feedback[side] = {
            "requested": requested,
            "completion": _shown(asked, k),
            "rating": _shown(rated, k),
        }
    surveys: dict[str, dict[str, list[float]]] = {"mqs": {}, "nps": {}}
    for (_, role), a in sorted(
        answered.items(), key=lambda x: (x[1].answered_at, f"{x[0][0]}|{x[0][1]}")
    ):
        pair = created.get(a.pair_id)
        if pair is None:
            continue
        who = pair.mentor.employee_id if role == "mentor" else pair.mentee.employee_id
        surveys[a.kind.value].setdefault(who, []).append(float(a.score))

    def member_of(pair_id: str, role: str) -> str | None:
        pair = created.get(pair_id)
        if pair is None:
            return None
        return pair.mentor.employee_id if role == "mentor" else pair.mentee.employee_id

    owned: dict[str, list[float]] = {}
    for g in goals.values():
        owner = member_of(g["pair"], g["owner"])
        if owner is not None:
            owned.setdefault(owner, []).append(1.0 if g.get("achieved") else 0.0)
    goal_shares = {o: [sum(v) / len(v)] for o, v in owned.items()}
    competence = []
    for topic in sorted({t for (pair_id, t, _, _) in levels if pair_id in created}):
        views = []
        for role in ("mentee", "mentor"):
            by_assessor: dict[str, list[float]] = {}
            for (pair_id, t, phase, r), level in sorted(levels.items()):
                if t != topic or r != role or phase != "final":
                    continue
                baseline = levels.get((pair_id, t, "baseline", r))
                assessor = member_of(pair_id, r)
                if baseline is not None and assessor is not None:
                    by_assessor.setdefault(assessor, []).append(float(level - baseline))
            views.append(_shown(by_assessor, k))
        competence.append((topic, views[0], views[1]))
    first, last = program.starts_on, min(program.ends_on, today)
    at_start = active_on(first)
    gone = {p for p, d in departed.items() if first <= d <= last}
    people = staying | {p.mentor.employee_id for p in created.values()} | matched
    participants = people & (at_start | gone)
    others = at_start - people
    mine = _share(len(participants & gone), len(participants))
    theirs = _share(len(others & gone), len(others))
    return {
        "participation": _share(len(staying & active), len(active)),
        "match_rate": _share(len(matched & mentee_pool), len(mentee_pool)),
        "time_to_match_seconds": waits,
        "acceptance_rate": _share(len(created), len(created) + len(declined - set(created))),
        "active_pairs": len([p for p in created if p not in ended]),
        "ended_pairs_by_reason": {
            r: len([x for x in ended.values() if x.pair_id in created and x.reason.value == r])
            for r in sorted({x.reason.value for x in ended.values() if x.pair_id in created})
        },
        "early_closure_rate": _share(early, len(created)),
        "sessions": counts,
        "session_completion": _share(len([s for s in due if state(s) == "held"]), len(due)),
        "cadence_adherence": _share(met, windows),
        "mentoring_seconds": 60.0
        * sum(s.get("minutes", 0) for s in sessions.values() if s.get("held")),
        "feedback": feedback,
        "mqs": _shown(surveys["mqs"], k),
        "nps": _shown(surveys["nps"], k, "nps"),
        "goal_completion": _shown(goal_shares, k),
        "competence": competence,
        "retention_delta": None if mine is None or theirs is None else round(mine - theirs, 6),
    }
