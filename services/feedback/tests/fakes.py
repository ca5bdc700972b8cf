"""Hand-written in-memory stand-ins for the feedback ports (unit tests of use cases only);
mypy checks them against the protocols wherever a test hands them to a use case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from tandem_feedback.domain.assessments import AssessmentRound
from tandem_feedback.domain.goals import GoalSheet
from tandem_feedback.domain.pairs import PairRecord
from tandem_feedback.domain.programs import Program
from tandem_feedback.domain.sessions import SessionFeedback
from tandem_feedback.domain.surveys import Survey
from tandem_servicekit.clock import Clock
from tandem_servicekit.repository import M, Page, Paging
from tandem_servicekit.testing import FakeRepository, FakeUnitOfWork

_LATER = timedelta(seconds=1)


class FakePairScoped(FakeRepository[M]):
    async def of_pair(self, pair_id: str) -> list[M]:
        return self._where(lambda i: getattr(i, "pair_id", None) == pair_id)

    async def of_program(self, program_id: str) -> list[M]:
        return self._where(lambda i: getattr(i, "program_id", None) == program_id)

    async def due(self, now: datetime, limit: int) -> list[M]:
        found = [i for i in self.items.values() if (_wake(i) or now + _LATER) <= now]
        return sorted(found, key=lambda i: _wake(i) or now)[:limit]


def _wake(item: Any) -> datetime | None:
    wake: datetime | None = item.wake_at
    return wake


class FakePrograms(FakeRepository[Program]):
    key = "program_id"

    async def closing(self, limit: int) -> list[Program]:
        return self._where(lambda p: p.winding_down)[:limit]

    async def managed_by(self, employee_id: str) -> list[Program]:
        return self._where(lambda p: employee_id in p.manager_ids)


class FakePairs(FakeRepository[PairRecord]):
    key = "pair_id"

    async def active_of_program(self, program_id: str, limit: int) -> list[PairRecord]:
        return self._where(lambda p: p.program_id == program_id and p.active)[:limit]

    async def count_of_program(self, program_id: str) -> int:
        return len(self._where(lambda p: p.program_id == program_id))

    async def of_person(self, employee_id: str) -> list[PairRecord]:
        return self._where(lambda p: employee_id in p.members)


class FakeSheets(FakePairScoped[GoalSheet]):
    key = "pair_id"


class FakeRounds(FakePairScoped[AssessmentRound]):
    key = "round_id"


class FakeSurveys(FakePairScoped[Survey]):
    key = "survey_id"

    async def of_person(self, employee_id: str, paging: Paging) -> Page[Survey]:
        found = self._where(lambda s: s.role_of(employee_id) is not None, sort="opens_at")
        return self._page(found, paging)


class FakeSessions(FakePairScoped[SessionFeedback]):
    key = "session_id"

    async def awaiting_pair(self, pair_id: str) -> list[SessionFeedback]:
        return self._where(lambda s: s.pair_id == pair_id and not s.requested)

    async def given_by(self, employee_id: str, paging: Paging) -> Page[SessionFeedback]:
        found = self._where(
            lambda s: any(e.author_id == employee_id for e in s.entries.values()), sort="held_at"
        )
        return self._page(found, paging)


class FakeFeedbackUnitOfWork(FakeUnitOfWork):
    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(clock)
        self.programs = FakePrograms(self.tracker)
        self.pairs = FakePairs(self.tracker)
        self.sheets = FakeSheets(self.tracker)
        self.sessions = FakeSessions(self.tracker)
        self.rounds = FakeRounds(self.tracker)
        self.surveys = FakeSurveys(self.tracker)
        self.erased: set[str] = set()
        self.locked: list[set[str]] = []

    async def lock_pairs(self, pair_ids: Iterable[str]) -> None:
        self.locked.append(set(pair_ids))

    async def lock_people(self, employee_ids: Iterable[str]) -> None:
        self.locked.append(set(employee_ids))

    async def erased_among(self, employee_ids: Iterable[str]) -> set[str]:
        return self.erased & set(employee_ids)

    async def forget_person(self, employee_id: str, pseudonym: str) -> int:
        self.erased.add(employee_id)
        return 0
