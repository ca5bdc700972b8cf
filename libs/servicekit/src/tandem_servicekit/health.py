"""What /readyz reports besides reachability: outages and stalled consumers.

A consumer reports an outage of its own database (readiness 503 at once, consumption pauses)
and marks when it starts and finishes applying a batch: a batch still being applied after
`stall_after_s` means its partitions have not advanced while records wait, which turns
readiness 503 and shows in `tandem_consumer_stalled{topic}`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


class Health(Collector):
    def __init__(self, stall_after_s: float = 30.0, registry: CollectorRegistry | None = None):
        self.stall_after_s = stall_after_s
        self._outages: set[str] = set()
        self._busy_since: dict[str, float] = {}
        self._topics: set[str] = set()
        if registry is not None:
            registry.register(self)

    def outage(self, topic: str) -> None:
        self._outages.add(topic)

    def recovered(self, topic: str) -> None:
        self._outages.discard(topic)

    def busy(self, topic: str) -> None:
        self._topics.add(topic)
        self._busy_since.setdefault(topic, time.monotonic())

    def idle(self, topic: str) -> None:
        self._busy_since.pop(topic, None)

    @property
    def handling_ok(self) -> bool:
        return not self._outages

    def stalled(self) -> list[str]:
        now = time.monotonic()
        return sorted(
            t for t, since in self._busy_since.items() if now - since > self.stall_after_s
        )

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "tandem_consumer_stalled",
            "1 while a consumer has been applying the same batch longer than the stall threshold",
            labels=["topic"],
        )
        stalled = set(self.stalled())
        for topic in sorted(self._topics):
            gauge.add_metric([topic], 1.0 if topic in stalled else 0.0)
        yield gauge
