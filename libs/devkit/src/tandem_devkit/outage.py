"""Outages for a running scenario: the database frozen, the broker gone for a while.

The embedded broker keeps its data in memory only, so restarting its process would lose every
topic; what its clients see of a restart is reproduced instead by `BrokerCut`, a TCP proxy the
broker advertises as its address: `cut` drops every open connection and refuses new ones for a
while, then lets them in again (the broker's state survives, as a real broker's does on disk).
A database outage is the server process stopped with SIGSTOP and resumed with SIGCONT:
connections stay open and every request hangs, the nastier case for timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field

import httpx


class BrokerCut:
    """Forwards `listen_port` to the broker at `target_port` (loopback) until cut."""

    def __init__(self, listen_port: int, target_port: int) -> None:
        self.listen_port = listen_port
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.listen_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def cut(self, seconds: float) -> None:
        """Every connection dropped, none accepted for `seconds`, then back."""
        await self.stop()
        await asyncio.sleep(seconds)
        await self.start()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            broker_r, broker_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.transport.abort()
            return
        if self._server is None:  # cut while this connection was being opened
            client_w.transport.abort()
            broker_w.transport.abort()
            return
        self._open |= {client_w, broker_w}
        try:
            await asyncio.gather(_pump(client_r, broker_w), _pump(broker_r, client_w))
        finally:
            for writer in (client_w, broker_w):
                self._open.discard(writer)
                writer.transport.abort()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while chunk := await source.read(65_536):
            sink.write(chunk)
            await sink.drain()
    sink.transport.abort()


async def freeze(pid: int, seconds: float) -> None:
    """SIGSTOP the process for `seconds`, then SIGCONT (always, even if cancelled). A pid of
    0 or less (a server this harness did not start) is refused: `kill(0)` would stop the
    caller's own process group, with nobody left to resume it."""
    if pid <= 0:
        raise ValueError(f"no process to freeze (pid {pid}): a server started elsewhere")
    os.kill(pid, signal.SIGSTOP)
    try:
        await asyncio.sleep(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)


@dataclass
class ReadinessLog:
    """What each service's /readyz answered, polled every `every_s` while it runs."""

    urls: dict[str, str]
    every_s: float = 0.5
    timeout_s: float = 4.0
    answers: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    """Service → (seconds since start, status; 0 for no answer within `timeout_s`)."""

    def __post_init__(self) -> None:
        self._began = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._began

    async def until_all_ready(self, timeout_s: float) -> None:
        """Until the last answer of every service is 200."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            await asyncio.sleep(self.every_s)
            last = [answers[-1][1] for answers in self.answers.values() if answers]
            if len(last) == len(self.urls) and set(last) == {200}:
                return
        raise TimeoutError(f"not every service ready again after {timeout_s} s")

    async def watch(self, stop: asyncio.Event) -> None:
        began = self._began
        async with httpx.AsyncClient(timeout=self.timeout_s) as http:

            async def ask(name: str, url: str) -> None:
                asked = time.monotonic() - began
                try:
                    status = (await http.get(url + "/readyz")).status_code
                except httpx.HTTPError:
                    status = 0
                self.answers.setdefault(name, []).append((asked, status))

            while not stop.is_set():
                await asyncio.gather(*(ask(name, url) for name, url in self.urls.items()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.every_s)

    def statuses(self, name: str, since_s: float, until_s: float) -> list[int]:
        return [status for at, status in self.answers.get(name, []) if since_s <= at < until_s]

    def not_ready_for(self, name: str, since_s: float, until_s: float) -> float | None:
        """Seconds from the first answer other than 200 in [since_s, until_s) to the next
        200 (None: it never went down, or never came back, in that window)."""
        down: float | None = None
        for at, status in self.answers.get(name, []):
            if not since_s <= at < until_s:
                continue
            if status != 200 and down is None:
                down = at
            elif status == 200 and down is not None:
                return at - down
        return None


class BrokerCutThread:
    """A `BrokerCut` on an event loop of its own, so it forwards while the caller blocks
    (starting services) and can be cut from any loop."""

    def __init__(self, listen_port: int, target_port: int) -> None:
        self.proxy = BrokerCut(listen_port, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    async def cut(self, seconds: float) -> None:
        future = asyncio.run_coroutine_threadsafe(self.proxy.cut(seconds), self._loop)
        await asyncio.wrap_future(future)
