"""Every event model survives the trip through the real broker: headers and value intact."""

from __future__ import annotations

from collections import defaultdict

from tandem_contracts import decode, encode
from tandem_contracts.examples import example_events
from tandem_contracts.topics import TOPICS
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import ServiceSettings
from tandem_servicekit.testing import read_topic
from tandem_servicekit.topics_admin import ensure_topics


async def test_every_event_round_trips_through_kafka(settings: ServiceSettings) -> None:
    kafka = settings.kafka
    created = await ensure_topics(
        kafka,
        [
            spec.__class__(kafka.topic(spec.name), spec.partitions, spec.description)
            for spec in TOPICS
        ],
    )
    assert len(created) == len(TOPICS)
    publisher = KafkaPublisher(kafka, client_id="roundtrip")
    await publisher.start()
    sent = {}
    try:
        for event in example_events():
            record = encode(event, source="/tandem/test")
            sent[record.meta.id] = (event, record)
            await publisher.send_many([ProducerRecord.of(record, kafka.topic_prefix)])
    finally:
        await publisher.stop()

    expected_per_topic: dict[str, int] = defaultdict(int)
    for event, _ in sent.values():
        expected_per_topic[event.topic] += 1
    received = {}
    for topic, count in expected_per_topic.items():
        for rec in await read_topic(kafka.bootstrap_servers, kafka.topic(topic), at_least=count):
            envelope = decode(list(rec.headers.items()), rec.value)
            received[envelope.meta.id] = (envelope, rec)
    assert received.keys() == sent.keys()
    for topic, count in expected_per_topic.items():  # "what is there now" is all of it
        everything = await read_topic(kafka.bootstrap_servers, kafka.topic(topic), at_least=0)
        assert len(everything) == count, topic
    for event_id, (envelope, rec) in received.items():
        event, record = sent[event_id]
        assert envelope.event == event
        assert envelope.meta == record.meta
        assert rec.key == record.key
        assert rec.headers["content-type"] == b"application/json"
