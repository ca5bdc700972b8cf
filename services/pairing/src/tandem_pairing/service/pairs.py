"""Use cases of the pair lifecycle: both sides accept (or one declines), a manager ends it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tandem_contracts.events import PairEndReason
from tandem_pairing.domain.pairs import Pair, PairTerms, pair_terms
from tandem_pairing.domain.programs import Program
from tandem_pairing.service.access import require_manager
from tandem_pairing.service.lookups import get_pair, get_program, transition
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.auth import PARTICIPANT, Principal
from tandem_servicekit.errors import Forbidden


async def end_pairs(
    uow: PairingUnitOfWork,
    pairs: Iterable[Pair],
    reason: PairEndReason,
    at: datetime | None = None,
) -> list[Pair]:
    now = at or uow.clock.now()
    ended = [pair.end(reason, now) for pair in pairs]
    await uow.pairs.put_many(ended)
    return ended


async def terms_for(pair: Pair, program: Program, uow: PairingUnitOfWork) -> PairTerms | None:
    """The pair's terms while both enrollments are active; None once a side has withdrawn."""
    by_id = await uow.enrollments.get_many([pair.mentor_enrollment_id, pair.mentee_enrollment_id])
    mentor = by_id.get(pair.mentor_enrollment_id)
    mentee = by_id.get(pair.mentee_enrollment_id)
    if mentor is None or mentee is None or not (mentor.active and mentee.active):
        return None
    return pair_terms(program, mentor, mentee, uow.clock.today())


async def decide_pair(
    pair_id: str, employee_id: str, accept: bool, caller: Principal, uow: PairingUnitOfWork
) -> Pair:
    """Only the person themselves says yes or no, for a pair they are in."""
    if not (caller.has(PARTICIPANT) and caller.employee_id == employee_id):
        raise Forbidden("only the person themselves accepts or declines")
    now = uow.clock.now()
    pair = await get_pair(pair_id, uow)
    if accept:
        terms = await terms_for(pair, await get_program(pair.program_id, uow), uow)
        decided = await transition(pair, lambda p: p.accept(employee_id, now, terms), uow.pairs.put)
    else:
        decided = await transition(pair, lambda p: p.decline(employee_id, now), uow.pairs.put)
    await uow.commit()
    return decided


async def end_pair(pair_id: str, caller: Principal, uow: PairingUnitOfWork) -> Pair:
    """Ended by the program manager."""
    now = uow.clock.now()
    pair = await get_pair(pair_id, uow)
    require_manager(caller, await get_program(pair.program_id, uow))
    reason = PairEndReason.ENDED_BY_PROGRAM_MANAGER
    ended = await transition(pair, lambda p: p.end(reason, now), uow.pairs.put)
    await uow.commit()
    return ended
