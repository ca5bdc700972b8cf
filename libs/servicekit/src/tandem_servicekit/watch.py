"""What Prometheus cannot ask for itself: readiness and consumer lag as metrics.

`/readyz` answers the orchestrator; alert rules need the same answer as a series, so the
runtime refreshes it every few seconds (`tandem_service_ready`, `tandem_readiness_check`). Lag
is what the consumer group has not finished yet: the partition's high watermark minus the
group's committed offset (offsets are committed only after the work is stored), per topic and
partition (`tandem_consumer_lag_records`), for the partitions this replica is assigned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

WATCH_INTERVAL_S = 5.0
OFFSET_TIMEOUT_S = 1.0


class RuntimeWatch:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.ready = Gauge(
            "tandem_service_ready",
            "1 while every readiness check passes (the same checks as /readyz), else 0",
            registry=registry,
        )
        self.checks = Gauge(
            "tandem_readiness_check",
            "Each readiness check: 1 passing, 0 failing",
            ["check"],
            registry=registry,
        )
        self.lag = Gauge(
            "tandem_consumer_lag_records",
            "Records on a partition this replica consumes that its group has not committed yet",
            ["topic", "partition"],
            registry=registry,
        )
        self._lag_labels: set[tuple[str, str]] = set()
        self.interval_s = WATCH_INTERVAL_S

    def record_readiness(self, checks: Mapping[str, bool]) -> None:
        for name, passing in checks.items():
            self.checks.labels(name).set(1 if passing else 0)
        self.ready.set(1 if checks and all(checks.values()) else 0)

    async def record_lag(self, consumers: Iterable[Any]) -> None:
        """`consumers`: aiokafka consumers (None for a subscriber not started)."""
        seen: set[tuple[str, str]] = set()
        for consumer in consumers:
            if consumer is None:
                continue
            for tp in consumer.assignment():
                high = consumer.highwater(tp)
                if high is None:  # nothing fetched yet
                    continue
                done = await asyncio.wait_for(consumer.committed(tp), OFFSET_TIMEOUT_S)
                if done is None:  # nothing committed yet: what was read counts as done
                    done = await asyncio.wait_for(consumer.position(tp), OFFSET_TIMEOUT_S)
                labels = (tp.topic, str(tp.partition))
                self.lag.labels(*labels).set(max(high - done, 0))
                seen.add(labels)
        for gone in self._lag_labels - seen:  # partitions another replica took over
            self.lag.remove(*gone)
        self._lag_labels = seen
