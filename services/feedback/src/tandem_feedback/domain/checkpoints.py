"""What assessment rounds and surveys share: a window in the pair's life that opens at a
set time (the ticker opens it and announces it), is answered once by each member, and can be
moved or dropped while still planned when the pair ends early."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Self

from tandem_contracts.aggregate import Aggregate
from tandem_contracts.values import Role
from tandem_feedback.domain.members import side_of


class WindowStatus(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CANCELLED = "cancelled"
    """Never opened: the pair ended before it was due (a midpoint, a later MQS)."""


class Checkpoint(Aggregate):
    pair_id: str
    program_id: str
    mentor_id: str
    mentee_id: str
    opens_at: datetime
    status: WindowStatus = WindowStatus.PLANNED
    wake_at: datetime | None = None
    """When the ticker must look at it next (opening, an overdue report); None when never."""

    def member(self, role: Role) -> str:
        return self.mentor_id if role is Role.MENTOR else self.mentee_id

    def role_of(self, employee_id: str) -> Role | None:
        return side_of(employee_id, self.mentor_id, self.mentee_id)

    def answered_by(self) -> set[Role]:
        raise NotImplementedError

    def pending_roles(self) -> tuple[Role, ...]:
        done = self.answered_by()
        return tuple(r for r in (Role.MENTOR, Role.MENTEE) if r not in done)

    def is_opened_by(self, now: datetime) -> bool:
        """Open, or due to open (the ticker may not have run yet)."""
        if self.status is WindowStatus.CANCELLED:
            return False
        return self.status is WindowStatus.OPEN or self.opens_at <= now

    def cancel_if_planned(self) -> Self:
        if self.status is not WindowStatus.PLANNED:
            return self
        return self.model_copy(update={"status": WindowStatus.CANCELLED, "wake_at": None})

    def renamed(self, employee_id: str, pseudonym: str) -> Self:
        """Erasure: the pseudonym in place of the id, and nobody's words kept."""
        return self.model_copy(
            update={
                "mentor_id": pseudonym if self.mentor_id == employee_id else self.mentor_id,
                "mentee_id": pseudonym if self.mentee_id == employee_id else self.mentee_id,
                **self._renamed_answers(employee_id, pseudonym),
            }
        )

    def _renamed_answers(self, employee_id: str, pseudonym: str) -> dict[str, object]:
        return {}
