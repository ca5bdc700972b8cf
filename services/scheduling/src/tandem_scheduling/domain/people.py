"""What scheduling keeps of the HR feed: each person's time zone as HR last stated it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class HrZone(BaseModel):
    """A person's time zone in HR, as of `effective_at` (HR records may arrive out of order:
    an older one never overrides a newer one)."""

    employee_id: str
    time_zone: str
    effective_at: datetime
