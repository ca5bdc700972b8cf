"""Run by test_outbox.py as a separate process that dies (SIGKILL) at a chosen point.

argv: kafka_bootstrap mongo_uri database topic_prefix mode
mode `after_commit`: commit state + outbox, then die before anything is published.
mode `after_publish`: commit, publish through the relay, then die before marking it sent.
Prints the event id on stdout before dying.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from prometheus_client import CollectorRegistry

from tandem_contracts.events import EmployeeHired
from tandem_contracts.examples import example_events
from tandem_servicekit.clock import SystemClock
from tandem_servicekit.mongo import make_client
from tandem_servicekit.outbox import OutboxMetrics, OutboxRelay
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, MongoSettings, OutboxSettings, Profile
from tandem_servicekit.uow import MongoUnitOfWork


class DieAfterSend(KafkaPublisher):
    async def send_many(self, records: Sequence[ProducerRecord]) -> None:
        await super().send_many(records)
        os.kill(os.getpid(), signal.SIGKILL)


async def main(bootstrap: str, uri: str, database: str, prefix: str, mode: str) -> None:
    client = make_client(MongoSettings(uri=uri, database=database))
    hired = next(e for e in example_events() if isinstance(e, EmployeeHired))
    uow = MongoUnitOfWork(
        client, database, source="/tandem/crashy", clock=SystemClock(), topic_prefix=prefix
    )
    async with uow:
        await uow.db["employees"].insert_one({"_id": hired.employee_id}, session=uow.session)
        uow.emit(hired)
        await uow.commit()
    [record] = uow.outboxed
    print(record.meta.id, flush=True)
    if mode == "after_commit":
        os.kill(os.getpid(), signal.SIGKILL)
    kafka = KafkaSettings(bootstrap_servers=bootstrap, profile=Profile.EMBEDDED)
    publisher = DieAfterSend(kafka, client_id="crashy")
    await publisher.start()
    settings = OutboxSettings(lease_s=1.0)
    relay = OutboxRelay(client[database], publisher, settings, OutboxMetrics(CollectorRegistry()))
    await relay.publish_pending()
    raise SystemExit("unreachable: the publisher kills the process")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
