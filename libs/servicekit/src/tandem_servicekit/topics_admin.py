"""Create the topics a service uses, with the partition counts the contracts choose.

Tansu auto-creates topics with 4 partitions and faststream asks for 1, so topics are created
explicitly. Where topics are managed outside (Strimzi `KafkaTopic`s, a shared cluster without
Create rights) a service only checks they are there: `kafka.create_topics=false`.

`python -m tandem_servicekit.topics_admin` is the one-shot initialiser docker-compose runs
before the services: every topic and dead-letter twin of `libs/contracts`, nothing else.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tandem_contracts.topics import TopicSpec, all_topic_specs
from tandem_servicekit.settings import KafkaSettings


class MissingTopics(RuntimeError):
    """Topics the service needs are absent and it may not create them."""


async def ensure_topics(
    kafka: KafkaSettings, specs: Iterable[TopicSpec], replication: int = 1
) -> list[str]:
    """Create the missing topics (or, with `create_topics` off, fail naming them); returns the
    names created."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=kafka.bootstrap_servers,
        client_id="tandem-admin",
        request_timeout_ms=kafka.request_timeout_ms,
        **kafka.client_options(),
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing and not kafka.create_topics:
            names = ", ".join(s.name for s in missing)
            raise MissingTopics(
                f"topics missing and kafka.create_topics is false: {names} "
                "(create them as KafkaTopics or with `python -m tandem_servicekit.topics_admin`)"
            )
        if missing:
            await admin.create_topics(
                [NewTopic(s.name, s.partitions, replication) for s in missing]
            )
        return [s.name for s in missing]
    finally:
        await admin.close()


class TopicInitSettings(BaseSettings):
    """`TANDEM_TOPICS_...`: the broker to prepare and how to replicate."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_TOPICS_", env_nested_delimiter="__")

    kafka: KafkaSettings = KafkaSettings()
    replication_factor: int = Field(default=1, ge=1, le=7)


async def initialise(settings: TopicInitSettings) -> list[str]:
    """Every contract topic and its dead-letter twin, with the topic prefix applied."""
    kafka = settings.kafka.model_copy(update={"create_topics": True})
    specs = [TopicSpec(kafka.topic(s.name), s.partitions, s.description) for s in all_topic_specs()]
    return await ensure_topics(kafka, specs, settings.replication_factor)


def main() -> None:
    if sys.argv[1:]:
        sys.exit("usage: python -m tandem_servicekit.topics_admin  (configured by TANDEM_TOPICS_*)")
    created = asyncio.run(initialise(TopicInitSettings()))
    print(f"topics created: {', '.join(created) if created else 'none (all present)'}")


if __name__ == "__main__":
    main()
