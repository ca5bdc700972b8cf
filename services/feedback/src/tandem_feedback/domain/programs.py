"""What feedback knows of a program: who manages it, and whether it has closed."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel


class Program(BaseModel):
    program_id: str
    manager_ids: tuple[str, ...] = ()
    closed_at: datetime | None = None
    winding_down: bool = False
    """Closed, and its pairs are still being finished (in chunks, by the ticker)."""
    settle_after: datetime | None = None
    """Until then the ticker keeps looking for active pairs of the closed program: a pair
    recorded while the close was applied (another consumer, another replica) is finished too."""

    def close(self, at: datetime, now: datetime, grace: timedelta) -> Program:
        if self.closed_at is not None:
            return self
        return self.model_copy(
            update={"closed_at": at, "winding_down": True, "settle_after": now + grace}
        )

    def settled(self, now: datetime) -> Program:
        """Wound down, once the grace time has passed."""
        if self.settle_after is not None and now < self.settle_after:
            return self
        return self.model_copy(update={"winding_down": False})
