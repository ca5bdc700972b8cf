"""structlog setup: one JSON object per line in production, console on a terminal.

Every line goes through the same renderer: Tandem's own structlog loggers and the standard
library loggers of faststream, aiokafka, uvicorn and pymongo alike (structlog's
`ProcessorFormatter` on the root handler), and a traceback becomes the `exception` field of
its line, so a log pipeline can parse everything. Handlers bind `ce_id`, `ce_type`, topic,
partition and offset through contextvars, so every line they log carries them. Never log
names, emails or free text written by people.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

LIBRARY_LEVEL = logging.WARNING
"""Libraries speak at warning and above: their info lines are per-message chatter."""


def configure_logging(
    fmt: Literal["auto", "json", "console"] = "auto", level: str = "INFO"
) -> None:
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: structlog.types.Processor
    if as_json:
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer()
    threshold = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LIBRARY_LEVEL)
    logging.getLogger("tandem").setLevel(threshold)
    for noisy in ("faststream", "aiokafka", "uvicorn", "uvicorn.error", "pymongo"):
        named = logging.getLogger(noisy)
        named.handlers[:] = []
        named.propagate = True
        named.setLevel(LIBRARY_LEVEL)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
