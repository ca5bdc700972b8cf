"""Finding what a request addresses, and turning domain refusals into HTTP answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tandem_feedback.domain.errors import InvalidSubmission, NotNow, NotYours
from tandem_feedback.domain.pairs import PairRecord
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_servicekit.errors import Conflict, Forbidden, InvalidRequest, NotFound


@contextmanager
def refusals() -> Iterator[None]:
    """Domain refusals as 409 / 422 / 403."""
    try:
        yield
    except NotNow as exc:
        raise Conflict(str(exc)) from exc
    except InvalidSubmission as exc:
        raise InvalidRequest(exc.field, exc.message) from exc
    except NotYours as exc:
        raise Forbidden(str(exc)) from exc


async def get_pair(pair_id: str, uow: FeedbackUnitOfWork) -> PairRecord:
    pair = await uow.pairs.get(pair_id)
    if pair is None:
        raise NotFound(f"no pair {pair_id} is known to feedback")
    return pair
