"""GDPR erasure in feedback: the person becomes a random pseudonym in every pair, sheet,
round, survey and session (scores and dates stay, so reports do not change), and all free text
of their pairs (comments, notes, goal texts: a partner's words may name them) is deleted."""

from __future__ import annotations

import uuid

from tandem_feedback.service.ports import FeedbackUnitOfWork


async def erase(employee_id: str, uow: FeedbackUnitOfWork) -> int:
    pseudonym = f"erased-{uuid.uuid4().hex[:16]}"
    changed = 0
    for pair in await uow.pairs.of_person(employee_id):
        await uow.pairs.put(pair.renamed(employee_id, pseudonym))
        sheets = await uow.sheets.of_pair(pair.pair_id)
        await uow.sheets.put_many(s.renamed(employee_id, pseudonym) for s in sheets)
        rounds = await uow.rounds.of_pair(pair.pair_id)
        await uow.rounds.put_many(r.renamed(employee_id, pseudonym) for r in rounds)
        surveys = await uow.surveys.of_pair(pair.pair_id)
        await uow.surveys.put_many(s.renamed(employee_id, pseudonym) for s in surveys)
        sessions = await uow.sessions.of_pair(pair.pair_id)
        await uow.sessions.put_many(s.renamed(employee_id, pseudonym) for s in sessions)
        changed += 1 + len(sheets) + len(rounds) + len(surveys) + len(sessions)
    for program in await uow.programs.managed_by(employee_id):
        managers = tuple(pseudonym if m == employee_id else m for m in program.manager_ids)
        await uow.programs.put(program.model_copy(update={"manager_ids": managers}))
        changed += 1
    return changed + await uow.forget_person(employee_id, pseudonym)
