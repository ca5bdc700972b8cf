"""Warming the matching engine when the service starts, before `/readyz` says ready.

numba loads the kernels from its on-disk cache (compiled into the image, or by `make sync`) or,
when the cache is missing or stale, compiles them: a dozen seconds or more that no user request
should wait for. The warm-up runs in a worker thread; readiness waits for it, but never longer
than `matching.warm_timeout_s`, so a slow or failing warm-up cannot keep a replica out forever.
"""

from __future__ import annotations

import asyncio
import time

from tandem_pairing.entrypoints.warm_cache import warm
from tandem_servicekit.logging import get_logger

log = get_logger("tandem.pairing.warmup")


class EngineWarmup:
    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._done = False

    def ready(self) -> bool:
        return self._done

    async def run(self) -> None:
        started = time.perf_counter()
        try:
            report = await asyncio.wait_for(asyncio.to_thread(warm), self._timeout_s)
        except TimeoutError:
            log.warning("matching engine warm-up exceeded its time; ready anyway")
        except Exception as exc:  # a broken warm-up must not keep the service unready
            log.warning("matching engine warm-up failed", error_class=type(exc).__name__)
        else:
            log.info(
                "matching engine warm",
                seconds=round(time.perf_counter() - started, 2),
                compiled=len(report["compiled"]),
                threading_layer=report["threading_layer"],
            )
        finally:
            self._done = True
