"""Topic names: one per producer and stream, versioned. Each consumed topic has a `.dlq` twin."""

from __future__ import annotations

from dataclasses import dataclass

HR_EMPLOYEES = "hr.employees.v1"
PAIRING = "tandem.pairing.v1"
SCHEDULING = "tandem.scheduling.v1"
FEEDBACK = "tandem.feedback.v1"
PRIVACY = "tandem.privacy.v1"

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: partitions keep aggregates in order, so choose them up front."""

    name: str
    partitions: int
    description: str


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(HR_EMPLOYEES, 6, "Employee lifecycle published by HR systems (source of truth)"),
    TopicSpec(PAIRING, 6, "Programs, enrollments and pairs, from the pairing service"),
    TopicSpec(SCHEDULING, 6, "Session series and sessions, from the scheduling service"),
    TopicSpec(FEEDBACK, 6, "Feedback and competence assessments, from the feedback service"),
    TopicSpec(PRIVACY, 3, "Confirmations that a service erased a person's data (for auditors)"),
)


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic that receives `topic`'s poison records."""
    return topic + DLQ_SUFFIX


def all_topic_specs() -> tuple[TopicSpec, ...]:
    """Every topic including the dead-letter twins.

    A twin has its source's partition count: dead letters keep the original key, so one
    aggregate's poison records land in the same partition number, in order, as its events.
    """
    dlqs = tuple(
        TopicSpec(dead_letter_topic(t.name), t.partitions, f"Dead letters of {t.name}")
        for t in TOPICS
    )
    return TOPICS + dlqs
