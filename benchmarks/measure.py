"""What every benchmark here shares: the machine it ran on, throughput figures, and reading a
live service's own count of the records it processed."""

from __future__ import annotations

import asyncio
import platform
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class Throughput:
    """Records handled in `seconds`, the first after `first_s` (first-call vs steady state)."""

    label: str
    records: int
    seconds: float
    first_s: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def steady_rate(self) -> float:
        rest = self.seconds - self.first_s
        return (self.records - 1) / rest if rest > 0 else float("nan")


async def until(check: Callable[[], Awaitable[bool]], timeout_s: float = 3600) -> float:
    """Poll `check` every 50 ms; the monotonic time it first held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return time.monotonic()
        await asyncio.sleep(0.05)
    raise TimeoutError("the service did not get there in time")


async def processed(http: httpx.AsyncClient, topic: str) -> float:
    """Records of `topic` the service counts as processed (or skipped as duplicates), from its
    own `/metrics`."""
    total = 0.0
    for line in (await http.get("/metrics")).text.splitlines():
        counted = 'outcome="processed"' in line or 'outcome="duplicate"' in line
        if line.startswith("tandem_consumer_records_total{") and counted:
            total += float(line.rsplit(" ", 1)[1]) if f'topic="{topic}"' in line else 0.0
    return total
