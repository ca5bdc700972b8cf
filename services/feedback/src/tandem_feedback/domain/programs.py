"""What feedback knows of a program: who manages it, and whether it has closed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Program(BaseModel):
    program_id: str
    manager_ids: tuple[str, ...] = ()
    closed_at: datetime | None = None
    winding_down: bool = False
    """Closed, and its pairs' final rounds and surveys are still being opened (in chunks)."""

    def close(self, at: datetime) -> Program:
        if self.closed_at is not None:
            return self
        return self.model_copy(update={"closed_at": at, "winding_down": True})
