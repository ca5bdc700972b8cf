"""What /readyz reports besides reachability: whether message handling is currently stuck."""

from __future__ import annotations

import time


class Health:
    def __init__(self) -> None:
        self._failing_since: float | None = None

    def handling_failed(self) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()

    def handling_recovered(self) -> None:
        self._failing_since = None

    @property
    def handling_ok(self) -> bool:
        return self._failing_since is None
