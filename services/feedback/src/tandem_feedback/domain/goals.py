"""The pair's goal sheet ("Ziele festlegen"): the mentee's learning goals, each on one of the
pair's topics, and, since reverse mentoring teaches both ways, optional goals of the mentor.
Each member edits only their own goals; milestones mark progress."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from tandem_contracts.aggregate import Aggregate
from tandem_contracts.events import GoalAchieved, GoalProgressed, GoalSet
from tandem_contracts.values import Role
from tandem_feedback.domain.errors import InvalidSubmission, NotNow, NotYours

MAX_GOALS_PER_SIDE = 10
ERASED_TEXT = "(erased)"


class Milestone(BaseModel):
    milestone_id: str
    title: str
    due_on: date | None = None
    done_at: datetime | None = None


class MilestoneSpec(BaseModel):
    milestone_id: str | None = None
    """Keep an existing milestone (and whether it is done); None adds a new one."""
    title: str
    due_on: date | None = None


class GoalSpec(BaseModel):
    topic_name: str | None
    description: str
    target_level: int
    milestones: tuple[MilestoneSpec, ...] = ()


class Goal(BaseModel):
    goal_id: str
    owner_role: Role
    topic_name: str | None
    description: str
    """The owner's words: never published."""
    target_level: int
    milestones: tuple[Milestone, ...] = ()
    revision: int = 1
    set_at: datetime
    achieved_at: datetime | None = None

    @property
    def milestones_done(self) -> int:
        return sum(1 for m in self.milestones if m.done_at is not None)


class GoalSheet(Aggregate):
    pair_id: str
    program_id: str
    mentor_id: str
    mentee_id: str
    topics: tuple[str, ...]
    goals: tuple[Goal, ...] = ()

    def goal(self, goal_id: str) -> Goal | None:
        return next((g for g in self.goals if g.goal_id == goal_id), None)

    def add(self, role: Role, spec: GoalSpec, now: datetime) -> tuple[GoalSheet, Goal]:
        self._check(role, spec)
        if sum(1 for g in self.goals if g.owner_role is role) >= MAX_GOALS_PER_SIDE:
            raise NotNow(f"a {role.value} has at most {MAX_GOALS_PER_SIDE} goals per pair")
        goal = Goal(
            goal_id=f"goal-{uuid.uuid4()}",
            owner_role=role,
            topic_name=spec.topic_name,
            description=spec.description,
            target_level=spec.target_level,
            milestones=_milestones(spec.milestones, ()),
            set_at=now,
        )
        return self._with(goal)._set(goal), goal

    def edit(self, role: Role, goal_id: str, spec: GoalSpec, now: datetime) -> GoalSheet:
        goal = self._own(role, goal_id)
        if goal.achieved_at is not None:
            raise NotNow("an achieved goal is not edited any more")
        self._check(role, spec)
        changed = goal.model_copy(
            update={
                "topic_name": spec.topic_name,
                "description": spec.description,
                "target_level": spec.target_level,
                "milestones": _milestones(spec.milestones, goal.milestones),
                "revision": goal.revision + 1,
                "set_at": now,
            }
        )
        return self._with(changed)._set(changed)

    def complete_milestone(
        self, role: Role, goal_id: str, milestone_id: str, now: datetime
    ) -> GoalSheet:
        """Mark a milestone reached; reaching it again changes nothing."""
        goal = self._own(role, goal_id)
        milestone = next((m for m in goal.milestones if m.milestone_id == milestone_id), None)
        if milestone is None:
            raise LookupError(milestone_id)
        if milestone.done_at is not None:
            return self
        done = milestone.model_copy(update={"done_at": now})
        changed = goal.model_copy(
            update={
                "milestones": tuple(
                    done if m.milestone_id == milestone_id else m for m in goal.milestones
                )
            }
        )
        return self._with(changed).recording(
            GoalProgressed(
                pair_id=self.pair_id,
                program_id=self.program_id,
                goal_id=goal_id,
                owner_role=role,
                milestone_id=milestone_id,
                milestones_done=changed.milestones_done,
                milestones_total=len(changed.milestones),
                progressed_at=now,
            )
        )

    def achieve(self, role: Role, goal_id: str, now: datetime) -> GoalSheet:
        """The owner declares the goal achieved; again changes nothing."""
        goal = self._own(role, goal_id)
        if goal.achieved_at is not None:
            return self
        changed = goal.model_copy(update={"achieved_at": now})
        return self._with(changed).recording(
            GoalAchieved(
                pair_id=self.pair_id,
                program_id=self.program_id,
                goal_id=goal_id,
                owner_role=role,
                achieved_at=now,
            )
        )

    def renamed(self, employee_id: str, pseudonym: str) -> GoalSheet:
        """Erasure: the pseudonym in place of the id; every goal text and milestone title of
        the pair deleted (a partner's words may name the person), levels and dates kept."""
        goals = tuple(
            g.model_copy(
                update={
                    "description": ERASED_TEXT,
                    "milestones": tuple(
                        m.model_copy(update={"title": ERASED_TEXT}) for m in g.milestones
                    ),
                }
            )
            for g in self.goals
        )
        return self.model_copy(
            update={
                "mentor_id": pseudonym if self.mentor_id == employee_id else self.mentor_id,
                "mentee_id": pseudonym if self.mentee_id == employee_id else self.mentee_id,
                "goals": goals,
            }
        )

    def _check(self, role: Role, spec: GoalSpec) -> None:
        if spec.topic_name is None and role is Role.MENTEE:
            raise InvalidSubmission("topic_name", "a mentee's goal is on one of the pair's topics")
        if spec.topic_name is not None and spec.topic_name not in self.topics:
            raise InvalidSubmission("topic_name", "not one of the pair's topics")

    def _own(self, role: Role, goal_id: str) -> Goal:
        goal = self.goal(goal_id)
        if goal is None:
            raise LookupError(goal_id)
        if goal.owner_role is not role:
            raise NotYours("each member edits only their own goals")
        return goal

    def _with(self, goal: Goal) -> GoalSheet:
        others = tuple(g for g in self.goals if g.goal_id != goal.goal_id)
        known = self.goal(goal.goal_id) is not None
        goals = (
            tuple(goal if g.goal_id == goal.goal_id else g for g in self.goals)
            if known
            else (*others, goal)
        )
        return self.model_copy(update={"goals": goals})

    def _set(self, goal: Goal) -> GoalSheet:
        return self.recording(
            GoalSet(
                pair_id=self.pair_id,
                program_id=self.program_id,
                goal_id=goal.goal_id,
                owner_role=goal.owner_role,
                topic_name=goal.topic_name,
                target_level=goal.target_level,
                milestones=len(goal.milestones),
                revision=goal.revision,
                set_at=goal.set_at,
            )
        )


def _milestones(
    specs: tuple[MilestoneSpec, ...], existing: tuple[Milestone, ...]
) -> tuple[Milestone, ...]:
    known = {m.milestone_id: m for m in existing}
    result: list[Milestone] = []
    for n, spec in enumerate(specs):
        if spec.milestone_id is None:
            result.append(
                Milestone(milestone_id=f"ms-{uuid.uuid4()}", title=spec.title, due_on=spec.due_on)
            )
            continue
        kept = known.pop(spec.milestone_id, None)
        if kept is None and any(m.milestone_id == spec.milestone_id for m in result):
            raise InvalidSubmission(f"milestones.{n}.milestone_id", "named twice")
        if kept is None:
            raise InvalidSubmission(f"milestones.{n}.milestone_id", "not a milestone of this goal")
        result.append(kept.model_copy(update={"title": spec.title, "due_on": spec.due_on}))
    return tuple(result)
