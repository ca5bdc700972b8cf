"""Running use cases over the fake unit of work the way the consumer does: one transaction,
committed, the published events kept on the fake."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from tandem_contracts import Event
from tandem_feedback.service import feedback, pairs
from tandem_feedback.service.ticker import tick
from tandem_feedback.settings import FeedbackRules
from tandem_servicekit.clock import FakeClock

from .builders import NOW
from .fakes import FakeFeedbackUnitOfWork

RULES = FeedbackRules()


def new_uow() -> FakeFeedbackUnitOfWork:
    return FakeFeedbackUnitOfWork(FakeClock(NOW))


async def consume(uow: FakeFeedbackUnitOfWork, *events: Event) -> None:
    """Each event as its subscriber applies it, committed like a consumed batch."""
    from tandem_contracts.events import (
        PairCreated,
        PairEnded,
        ProgramClosed,
        ProgramOpened,
        SessionHeld,
    )

    async with uow:
        for event in events:
            if isinstance(event, PairCreated):
                await pairs.on_pair_created(event, uow, RULES)
            elif isinstance(event, PairEnded):
                await pairs.on_pair_ended(event, uow, RULES)
            elif isinstance(event, ProgramOpened):
                await pairs.on_program_opened(event, uow)
            elif isinstance(event, ProgramClosed):
                await pairs.on_program_closed(event, uow, RULES)
            elif isinstance(event, SessionHeld):
                await feedback.on_sessions_held([event], uow, RULES)
        await uow.commit()


async def run(uow: FakeFeedbackUnitOfWork, call: Callable[[], Awaitable[object]]) -> object:
    async with uow:
        return await call()


async def advance(uow: FakeFeedbackUnitOfWork, by: timedelta) -> list[Event]:
    """Move the clock, run the ticker, return what it published."""
    clock = uow.clock
    assert isinstance(clock, FakeClock)
    clock.advance(by)
    before = len(uow.published)
    await tick(lambda: uow, RULES)
    return uow.published[before:]


def kinds(events: list[Event]) -> list[str]:
    return [e.event_type.split(".")[-2] for e in events]
