"""A lease in the service's database: one replica runs the ticker at a time.

Compared on the system clock across processes (not the business clock a demo may speed up);
if the holder dies, another replica takes over when the lease expires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tandem_servicekit.mongo import Document

LEASES = "leases"


class Lease:
    def __init__(
        self, db: AsyncDatabase[Document], name: str, owner: str, duration: timedelta
    ) -> None:
        self._db, self._name, self._owner, self._duration = db, name, owner, duration

    async def acquire(self) -> bool:
        """Take or renew the lease; False while another owner holds it."""
        now = datetime.now(UTC)
        try:
            await self._db[LEASES].update_one(
                {
                    "_id": self._name,
                    "$or": [{"owner": self._owner}, {"expires_at": {"$lt": now}}],
                },
                {"$set": {"owner": self._owner, "expires_at": now + self._duration}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    async def release(self) -> None:
        await self._db[LEASES].delete_one({"_id": self._name, "owner": self._owner})
