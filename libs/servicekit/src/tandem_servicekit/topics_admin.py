"""Create the topics a service uses, with the partition counts the contracts choose.

Tansu auto-creates topics with 4 partitions and faststream asks for 1, so topics are created
explicitly; where they exist already (Strimzi `KafkaTopic`s in production) this is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tandem_contracts.topics import TopicSpec


async def ensure_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec], replication: int = 1
) -> list[str]:
    """Create the missing topics; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="tandem-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(s.name, s.partitions, replication) for s in missing]
            )
        return [s.name for s in missing]
    finally:
        await admin.close()
