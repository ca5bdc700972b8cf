"""Topics: the one-shot initialiser creates the contracts' topics; a service that may not create
topics names the missing ones and only asks for the topics it uses."""

from __future__ import annotations

import re

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tandem_contracts.topics import HR_EMPLOYEES, PAIRING, PRIVACY, all_topic_specs
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.settings import ServiceSettings
from tandem_servicekit.topics_admin import (
    MissingTopics,
    TopicInitSettings,
    ensure_topics,
    initialise,
)
from tandem_servicekit.uow import MongoUnitOfWork


async def _partitions(bootstrap: str, topics: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
        return {t["topic"]: len(t["partitions"]) for t in described}
    finally:
        await admin.close()


async def test_the_initialiser_creates_every_contract_topic_once(
    settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_TOPICS_KAFKA__BOOTSTRAP_SERVERS", settings.kafka.bootstrap_servers)
    monkeypatch.setenv("TANDEM_TOPICS_KAFKA__TOPIC_PREFIX", settings.kafka.topic_prefix)
    init = TopicInitSettings()
    created = await initialise(init)
    expected = {settings.kafka.topic(s.name): s.partitions for s in all_topic_specs()}
    assert sorted(created) == sorted(expected)
    assert await _partitions(settings.kafka.bootstrap_servers, list(expected)) == expected
    assert await initialise(init) == [], "a second run finds them all"


async def test_without_create_rights_a_service_names_the_missing_topics(
    settings: ServiceSettings,
) -> None:
    kafka = settings.kafka.model_copy(update={"create_topics": False})
    runtime = ServiceRuntime(settings.model_copy(update={"kafka": kafka}), MongoUnitOfWork)
    runtime.catalogue.consumes(HR_EMPLOYEES, ())
    runtime.catalogue.publishes(PAIRING, ())
    runtime.catalogue.publishes(PRIVACY, ())
    wanted = sorted(spec.name for spec in runtime._topics_in_use())
    prefix = kafka.topic_prefix
    assert wanted == sorted(
        prefix + t for t in (HR_EMPLOYEES, HR_EMPLOYEES + ".dlq", PAIRING, PRIVACY)
    ), "only what it reads, writes and dead-letters to: its ACLs allow no more"

    missing = rf"create_topics is false: .*{re.escape(prefix)}hr\.employees\.v1"
    with pytest.raises(MissingTopics, match=missing):
        await ensure_topics(kafka, runtime._topics_in_use())
    await initialise(TopicInitSettings(kafka=kafka))
    assert await ensure_topics(kafka, runtime._topics_in_use()) == []
