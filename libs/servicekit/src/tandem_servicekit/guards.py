"""ASGI guards every service runs before routing: a body size limit and JSON-only commands.

A body over `max_body_bytes` is refused with 413 before it is read into memory (by its
Content-Length, or while it streams in). A state-changing request (POST, PUT, PATCH, DELETE)
that declares a body type other than `application/json` is refused with 415, so an HTML form
or a cross-site `text/plain` request can never change state; a command without a body sends no
content type at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _TooLarge(HTTPException):
    """Raised from `receive` while a body streams in; FastAPI turns it into the 413 answer."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await answer(send, 413, f"request body over {self.max_body_bytes} bytes")
            return
        media = headers.get("content-type", b"").split(b";")[0].strip().lower()
        if scope["method"] in UNSAFE and media and media != b"application/json":
            await answer(send, 415, "send commands as application/json")
            return
        received = 0
        started = False

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _TooLarge(self.max_body_bytes)
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message["status"] == 405:
                    message = _with_full_allow(message, scope)
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except _TooLarge:
            if not started:
                await answer(send, 413, f"request body over {self.max_body_bytes} bytes")


def _with_full_allow(message: Message, scope: Scope) -> Message:
    """Starlette's 405 names only the first route matching the path; list every method the
    OpenAPI document gives the path (GET and POST on `/programs` are two routes)."""
    methods = _documented_methods(scope.get("app"), scope.get("path", ""))
    if not methods:
        return message
    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
    headers.append((b"allow", ", ".join(sorted(methods)).encode()))
    return {**message, "headers": headers}


def _documented_methods(app: Any, path: str) -> set[str]:
    openapi = getattr(app, "openapi", None)
    if openapi is None:
        return set()
    for template, operations in openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return {m.upper() for m in operations}
    return set()


async def answer(
    send: Send, status: int, detail: str, extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """A JSON `{"detail": ...}` answer straight from an ASGI guard."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})
