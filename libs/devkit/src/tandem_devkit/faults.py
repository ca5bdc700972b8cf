"""Faults injected into a running scenario: SIGKILLed services, restarted at once.

A kill lands at a random moment of the services' own work (consumers applying batches, outbox
relays publishing, tickers firing time-driven rules), but never while the scenario has a
request in flight to that service: the API has no idempotency keys yet, so the outcome of a
command whose answer was lost is unknown to any client, and resending it is not a question of
crash safety but of the client's. `ServiceGate` is that rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from tandem_devkit.services import ServiceSet


class ServiceGate:
    """Requests to a service pass while it is open; `closed` waits until none is in flight,
    and holds new ones back until it ends (one `closed` at a time per service)."""

    def __init__(self) -> None:
        self._in_flight: Counter[str] = Counter()
        self._idle: dict[str, asyncio.Event] = {}
        self._reopened: dict[str, asyncio.Event] = {}

    def _idle_event(self, service: str) -> asyncio.Event:
        if service not in self._idle:
            self._idle[service] = asyncio.Event()
            self._idle[service].set()
        return self._idle[service]

    @contextlib.asynccontextmanager
    async def request(self, service: str) -> AsyncIterator[None]:
        while service in self._reopened:
            await self._reopened[service].wait()
        self._in_flight[service] += 1
        self._idle_event(service).clear()
        try:
            yield
        finally:  # no await here: a cancelled request must still be counted out
            self._in_flight[service] -= 1
            if self._in_flight[service] == 0:
                self._idle_event(service).set()

    @contextlib.asynccontextmanager
    async def closed(self, service: str) -> AsyncIterator[None]:
        while service in self._reopened:
            await self._reopened[service].wait()
        reopened = asyncio.Event()
        self._reopened[service] = reopened
        try:
            await self._idle_event(service).wait()
            yield
        finally:
            del self._reopened[service]
            reopened.set()


@dataclass(frozen=True)
class Kill:
    service: str
    at_s: float
    """Seconds after the fault injection began."""
    ready_after_s: float
    """From the SIGKILL until the restarted process answered /readyz with 200."""


class Killer:
    """SIGKILLs every service `kills_each` times in a seeded random order, a random pause apart,
    and restarts each at once."""

    def __init__(
        self,
        running: ServiceSet,
        gate: ServiceGate,
        *,
        kills_each: int = 3,
        seed: int = 0,
        pause_s: tuple[float, float] = (0.5, 4.0),
        ready_timeout_s: float = 180.0,
    ) -> None:
        self.running = running
        self.gate = gate
        self.rng = random.Random(seed)
        self.order = [name for name in running.services for _ in range(kills_each)]
        self.rng.shuffle(self.order)
        self.pause_s = pause_s
        self.ready_timeout_s = ready_timeout_s
        self.kills: list[Kill] = []

    async def run(self) -> list[Kill]:
        began = time.monotonic()
        for name in self.order:
            await asyncio.sleep(self.rng.uniform(*self.pause_s))
            service = self.running.services[name]
            async with self.gate.closed(name):
                killed = time.monotonic()
                await asyncio.to_thread(service.kill)
                service.restart()
                await self._until_ready(name, service.url)
            self.kills.append(Kill(name, killed - began, time.monotonic() - killed))
        return self.kills

    async def _until_ready(self, name: str, url: str) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/readyz")).status_code == 200:
                        return
                if self.running.services[name].process.poll() is not None:
                    raise RuntimeError(f"{name} exited after its restart")
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{name} not ready {self.ready_timeout_s} s after its restart")
