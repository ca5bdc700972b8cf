"""The pair's goal sheet: both members read it, each sets and edits only their own goals."""

from __future__ import annotations

from collections.abc import Callable

from tandem_contracts.values import Role
from tandem_feedback.domain.goals import Goal, GoalSheet, GoalSpec, MilestoneSpec
from tandem_feedback.service.access import require_member
from tandem_feedback.service.commands import GoalInput
from tandem_feedback.service.lookups import get_pair, refusals
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import Conflict, NotFound


def _spec(command: GoalInput) -> GoalSpec:
    return GoalSpec(
        topic_name=command.topic_name,
        description=command.description,
        target_level=command.target_level,
        milestones=tuple(
            MilestoneSpec(milestone_id=m.milestone_id, title=m.title, due_on=m.due_on)
            for m in command.milestones
        ),
    )


async def _sheet(
    pair_id: str, caller: Principal, uow: FeedbackUnitOfWork, *, changing: bool = False
) -> tuple[GoalSheet, Role]:
    pair = await get_pair(pair_id, uow)
    role = require_member(caller, pair)
    if changing and not pair.active:
        raise Conflict("the pair has ended: its goals are no longer set or edited")
    sheet = await uow.sheets.get(pair_id)
    if sheet is None:
        raise NotFound(f"pair {pair_id} has no goal sheet")
    return sheet, role


async def goal_sheet(pair_id: str, caller: Principal, uow: FeedbackUnitOfWork) -> GoalSheet:
    sheet, _ = await _sheet(pair_id, caller, uow)
    return sheet


async def add(pair_id: str, command: GoalInput, caller: Principal, uow: FeedbackUnitOfWork) -> Goal:
    sheet, role = await _sheet(pair_id, caller, uow, changing=True)
    with refusals():
        sheet, goal = sheet.add(role, _spec(command), uow.clock.now())
    await uow.sheets.put(sheet)
    await uow.commit()
    return goal


async def _change(
    pair_id: str,
    goal_id: str,
    caller: Principal,
    uow: FeedbackUnitOfWork,
    change: Callable[[GoalSheet, Role], GoalSheet],
    *,
    editing: bool = False,
) -> Goal:
    sheet, role = await _sheet(pair_id, caller, uow, changing=editing)
    if sheet.goal(goal_id) is None:
        raise NotFound(f"no goal {goal_id} on this pair's sheet")
    try:
        with refusals():
            changed = change(sheet, role)
    except LookupError as exc:
        raise NotFound(f"no milestone {exc} on this goal") from exc
    if changed is not sheet:
        await uow.sheets.put(changed)
        await uow.commit()
    goal = changed.goal(goal_id)
    assert goal is not None
    return goal


async def edit(
    pair_id: str, goal_id: str, command: GoalInput, caller: Principal, uow: FeedbackUnitOfWork
) -> Goal:
    now = uow.clock.now()
    return await _change(
        pair_id,
        goal_id,
        caller,
        uow,
        lambda sheet, role: sheet.edit(role, goal_id, _spec(command), now),
        editing=True,
    )


async def complete_milestone(
    pair_id: str, goal_id: str, milestone_id: str, caller: Principal, uow: FeedbackUnitOfWork
) -> Goal:
    now = uow.clock.now()
    return await _change(
        pair_id,
        goal_id,
        caller,
        uow,
        lambda sheet, role: sheet.complete_milestone(role, goal_id, milestone_id, now),
    )


async def achieve(pair_id: str, goal_id: str, caller: Principal, uow: FeedbackUnitOfWork) -> Goal:
    now = uow.clock.now()
    return await _change(
        pair_id, goal_id, caller, uow, lambda sheet, role: sheet.achieve(role, goal_id, now)
    )
