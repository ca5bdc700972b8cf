"""What the projection needs from storage: facts merged field by field, read per program."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from tandem_servicekit.uow import UnitOfWork

Fields = dict[str, Any]
Merge = tuple[str, str, Fields]
"""(kind of fact, its key, the fields one event sets): `kind` is a collection name."""


class FactStore(Protocol):
    async def merge_many(self, merges: Iterable[Merge]) -> None:
        """Set each merge's fields on its fact, creating the fact if new (in order)."""
        ...

    async def of_program(self, kind: str, program_id: str) -> list[Fields]: ...
    async def every(self, kind: str) -> list[Fields]: ...
    async def program_ids(self) -> list[str]: ...


class MetricsUnitOfWork(UnitOfWork, Protocol):
    @property
    def facts(self) -> FactStore: ...

    async def pseudonyms_of(self, employee_ids: Iterable[str]) -> dict[str, str]:
        """The pseudonym of each of these people who was erased (the same one every time, so a
        replay links an erased person's facts as the live projection did)."""
        ...

    async def lock_people(self, employee_ids: Iterable[str], kinds: Iterable[str]) -> None:
        """Write a marker per person and kind of fact (keyed by a digest of the id) in this
        transaction, so facts naming a person and that person's erasure (which takes every
        kind's marker) never commit side by side unseen. Per kind: the consumers of different
        topics write different kinds, so they never wait for each other."""
        ...

    async def forget_person(self, employee_id: str, pseudonym: str) -> int:
        """The person's pseudonym (`pseudonym`, or the one given at an earlier erasure) in place
        of the id in every fact; remembered as erased."""
        ...
