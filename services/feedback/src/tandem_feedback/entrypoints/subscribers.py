"""Kafka subscriptions of the feedback service: the pairing stream, the scheduling stream
(held sessions only) and erasure requests on the HR feed."""

from __future__ import annotations

from collections.abc import Sequence

from tandem_contracts.events import (
    PairCreated,
    PairEnded,
    ProgramClosed,
    ProgramOpened,
    SessionHeld,
)
from tandem_contracts.registry import events_on
from tandem_contracts.topics import FEEDBACK, PAIRING, SCHEDULING
from tandem_feedback.adapters.unit_of_work import MongoFeedbackUnitOfWork
from tandem_feedback.service import feedback, pairs, privacy
from tandem_feedback.settings import FeedbackRules
from tandem_servicekit.consumer import Delivery
from tandem_servicekit.privacy import subscribe_erasure
from tandem_servicekit.runtime import ServiceRuntime

PAIRING_TYPES = (ProgramOpened, ProgramClosed, PairCreated, PairEnded)
Uow = MongoFeedbackUnitOfWork


def register(runtime: ServiceRuntime[Uow], rules: FeedbackRules) -> None:
    async def pairing_batch(batch: Sequence[Delivery], uow: Uow) -> None:
        for delivery in batch:  # in order: one pair's events arrive in the order they happened
            event = delivery.event
            if isinstance(event, PairCreated):
                await pairs.on_pair_created(event, uow, rules)
            elif isinstance(event, PairEnded):
                await pairs.on_pair_ended(event, uow, rules)
            elif isinstance(event, ProgramOpened):
                await pairs.on_program_opened(event, uow)
            elif isinstance(event, ProgramClosed):
                await pairs.on_program_closed(event, uow, rules)

    async def held_batch(batch: Sequence[Delivery], uow: Uow) -> None:
        held = [d.event for d in batch if isinstance(d.event, SessionHeld)]
        await feedback.on_sessions_held(held, uow, rules)

    runtime.subscribe_batch(PAIRING, PAIRING_TYPES, pairing_batch)
    runtime.subscribe_batch(SCHEDULING, (SessionHeld,), held_batch)
    subscribe_erasure(runtime, privacy.erase)
    runtime.publishes(FEEDBACK, events_on(FEEDBACK))
