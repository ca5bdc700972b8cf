"""What the feedback use cases need from storage, named by intent (the Mongo adapters and the
tests' fakes implement these protocols; mypy checks both)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from tandem_feedback.domain.assessments import AssessmentRound
from tandem_feedback.domain.goals import GoalSheet
from tandem_feedback.domain.pairs import PairRecord
from tandem_feedback.domain.programs import Program
from tandem_feedback.domain.sessions import SessionFeedback
from tandem_feedback.domain.surveys import Survey
from tandem_servicekit.repository import Page, Paging
from tandem_servicekit.uow import UnitOfWork

T = TypeVar("T")


class Store(Protocol[T]):
    async def get(self, key: str) -> T | None: ...
    async def put(self, item: T) -> None: ...
    async def put_many(self, items: Iterable[T]) -> None: ...


class PairScoped(Store[T], Protocol[T]):
    """Items that belong to one pair of one program, some woken by the ticker."""

    async def of_pair(self, pair_id: str) -> list[T]: ...
    async def of_program(self, program_id: str) -> list[T]: ...

    async def due(self, now: datetime, limit: int) -> list[T]:
        """Up to `limit` items whose `wake_at` has come, oldest first."""
        ...


class PairRepository(Store[PairRecord], Protocol):
    async def active_of_program(self, program_id: str, limit: int) -> list[PairRecord]: ...
    async def count_of_program(self, program_id: str) -> int: ...
    async def of_person(self, employee_id: str) -> list[PairRecord]: ...


class ProgramRepository(Store[Program], Protocol):
    async def managed_by(self, employee_id: str) -> list[Program]: ...

    async def closing(self, limit: int) -> list[Program]:
        """Closed programs whose pairs are still being finished."""
        ...


class SessionFeedbackRepository(PairScoped[SessionFeedback], Protocol):
    async def awaiting_pair(self, pair_id: str) -> list[SessionFeedback]:
        """Held sessions of a pair not known when they arrived, not yet requested."""
        ...

    async def given_by(self, employee_id: str, paging: Paging) -> Page[SessionFeedback]:
        """Sessions this person gave feedback on, in the order they were held."""
        ...


class SurveyRepository(PairScoped[Survey], Protocol):
    async def of_person(self, employee_id: str, paging: Paging) -> Page[Survey]: ...


class FeedbackUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the feedback service's repositories."""

    @property
    def programs(self) -> ProgramRepository: ...
    @property
    def pairs(self) -> PairRepository: ...
    @property
    def sheets(self) -> PairScoped[GoalSheet]: ...
    @property
    def sessions(self) -> SessionFeedbackRepository: ...
    @property
    def rounds(self) -> PairScoped[AssessmentRound]: ...
    @property
    def surveys(self) -> SurveyRepository: ...

    async def lock_pairs(self, pair_ids: Iterable[str]) -> None:
        """Write a marker per pair in this transaction, so a held session stored while its pair
        is unknown and the pair's arrival cannot commit side by side unseen: the second gets a
        write conflict and is retried with the first one's writes in view."""
        ...

    async def lock_people(self, employee_ids: Iterable[str]) -> None:
        """The same per person (keyed by a digest of the id): a pair recorded and its member's
        erasure cannot commit side by side unseen."""
        ...

    async def erased_among(self, employee_ids: Iterable[str]) -> set[str]:
        """Which of these people were erased: pairs naming them are not recorded."""
        ...

    async def forget_person(self, employee_id: str, pseudonym: str) -> int:
        """Remember (as a digest) that the person was erased and scrub the outbox of their id;
        how many outbox entries changed. The use case renames them in the aggregates."""
        ...
