"""faststream middleware binding the record's identity to every log line of its handler."""

from __future__ import annotations

from typing import Any

import structlog
from faststream import BaseMiddleware
from faststream.message import StreamMessage

from tandem_contracts.cloudevents import H_ID, H_TYPE, header_value


class LogContextMiddleware(BaseMiddleware):
    async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
        raw = msg.raw_message
        headers = list(getattr(raw, "headers", ()) or ())
        with structlog.contextvars.bound_contextvars(
            ce_id=header_value(headers, H_ID),
            ce_type=header_value(headers, H_TYPE),
            topic=getattr(raw, "topic", None),
            partition=getattr(raw, "partition", None),
            offset=getattr(raw, "offset", None),
        ):
            return await call_next(msg)
