"""Requests that lost a race are run again before the caller ever sees a 503.

A command's transaction can lose a write conflict to a concurrent request, a consumer or a
background worker (the matching-run worker touches the roster a close bumps). Nothing was
stored then, so running the request again is exactly what a client would do after the 503,
only sooner and without making every client write that loop. The error handlers mark such
answers with `RETRY_MARKER`; this guard buffers the request body, runs the app again (with a
short, growing, jittered pause) while the answer carries the marker and the time budget lasts,
and strips the marker from whatever it finally sends. An answer whose commit is unknown is
never marked, so never repeated.
"""

from __future__ import annotations

import asyncio
import random
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RETRY_MARKER = b"x-tandem-retryable"
FIRST_PAUSE_S = 0.02
MAX_PAUSE_S = 0.5


class _Attempt:
    """One run of the app: a marked answer is swallowed (unless this is the last try), any other
    answer goes out without the marker."""

    def __init__(self, send: Send, *, last: bool) -> None:
        self._send = send
        self._last = last
        self.retryable = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            self.retryable = not self._last and any(k.lower() == RETRY_MARKER for k, _ in headers)
            kept = [(k, v) for k, v in headers if k.lower() != RETRY_MARKER]
            message = {**message, "headers": kept}
        if not self.retryable:
            await self._send(message)


class ConflictRetry:
    """ASGI guard: runs a request again while its answer says nothing was stored, within
    `budget_s` seconds."""

    def __init__(self, app: ASGIApp, budget_s: float = 2.0) -> None:
        self.app = app
        self.budget_s = budget_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.budget_s <= 0:
            await self.app(scope, receive, _Attempt(send, last=True))
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away mid-upload: never run a command on half a body
        deadline = time.monotonic() + self.budget_s
        pause = FIRST_PAUSE_S
        while True:
            attempt = _Attempt(send, last=time.monotonic() + pause >= deadline)
            await self.app(scope, _replaying(body, receive), attempt)
            if not attempt.retryable:
                return
            await asyncio.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, MAX_PAUSE_S)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client disconnected before sending it all."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The buffered body once, then the real channel (which reports the disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
