"""Session feedback: requested when a session was held, given once by each member."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel

from tandem_contracts.events import SessionHeld
from tandem_contracts.values import Role
from tandem_feedback.domain.sessions import SessionFeedback
from tandem_feedback.service.access import require_self
from tandem_feedback.service.commands import SubmitFeedback
from tandem_feedback.service.lookups import refusals
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_feedback.settings import FeedbackRules
from tandem_servicekit.auth import PARTICIPANT, Principal
from tandem_servicekit.errors import Forbidden, NotFound
from tandem_servicekit.repository import Page, Paging


class FeedbackView(BaseModel):
    """One person's own feedback on a session."""

    feedback_id: str
    session_id: str
    pair_id: str
    program_id: str
    held_at: datetime
    author_role: Role
    rating: int
    usefulness: int
    comment: str | None
    submitted_at: datetime


def view_of(session: SessionFeedback, role: Role) -> FeedbackView:
    entry = session.entries[role]
    return FeedbackView(
        feedback_id=entry.feedback_id,
        session_id=session.session_id,
        pair_id=session.pair_id,
        program_id=session.program_id,
        held_at=session.held_at,
        author_role=role,
        rating=entry.rating,
        usefulness=entry.usefulness,
        comment=entry.comment,
        submitted_at=entry.submitted_at,
    )


async def on_sessions_held(
    events: Iterable[SessionHeld], uow: FeedbackUnitOfWork, rules: FeedbackRules
) -> None:
    """One feedback request per held session, however often the session is announced."""
    now = uow.clock.now()
    for event in events:
        if await uow.sessions.get(event.session_id) is not None:
            continue
        session = SessionFeedback(
            session_id=event.session_id,
            pair_id=event.pair_id,
            program_id=event.program_id,
            held_at=event.held_at,
        )
        pair = await uow.pairs.get(event.pair_id)
        if pair is not None:
            await uow.lock_people(pair.members)  # an erasure running alongside waits
            session = session.request(pair, now, rules.remind_after)
        else:  # requested when the pair's PairCreated arrives (which takes the same lock)
            await uow.lock_pairs([event.pair_id])
        await uow.sessions.put(session)


async def _held(session_id: str, uow: FeedbackUnitOfWork) -> SessionFeedback:
    session = await uow.sessions.get(session_id)
    if session is None or not session.requested:  # not requested: its pair is not known yet
        raise NotFound(
            f"no held session {session_id}: feedback is given on sessions that took place"
        )
    return session


def _side(caller: Principal, session: SessionFeedback) -> Role:
    role = session.role_of(caller.employee_id) if caller.has(PARTICIPANT) else None
    if role is None:
        raise Forbidden("only the pair's members give or read feedback on its sessions")
    return role


async def submit(
    session_id: str, command: SubmitFeedback, caller: Principal, uow: FeedbackUnitOfWork
) -> FeedbackView:
    session = await _held(session_id, uow)
    role = _side(caller, session)
    with refusals():
        session = session.submit(
            role,
            rating=command.rating,
            usefulness=command.usefulness,
            comment=command.comment,
            now=uow.clock.now(),
        )
    await uow.sessions.put(session)
    await uow.commit()
    return view_of(session, role)


async def own(session_id: str, caller: Principal, uow: FeedbackUnitOfWork) -> FeedbackView:
    session = await _held(session_id, uow)
    role = _side(caller, session)
    if role not in session.entries:
        raise NotFound("you have not given feedback on this session")
    return view_of(session, role)


async def given_by(
    employee_id: str, paging: Paging, caller: Principal, uow: FeedbackUnitOfWork
) -> Page[FeedbackView]:
    require_self(caller, employee_id)
    page = await uow.sessions.given_by(employee_id, paging)
    items = []
    for session in page.items:
        role = session.role_of(employee_id)
        if role is not None and role in session.entries:
            items.append(view_of(session, role))
    return Page(total=page.total, items=items)
