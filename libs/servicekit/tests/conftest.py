"""Fixtures for servicekit's integration tests on the embedded broker and database."""

from __future__ import annotations

import pytest

from tandem_devkit.embedded import StackInfo
from tandem_devkit.issuer import AUDIENCE
from tandem_servicekit.auth import AuthSettings
from tandem_servicekit.settings import (
    KafkaSettings,
    MongoSettings,
    Profile,
    RetrySettings,
    ServiceSettings,
)


@pytest.fixture
def settings(embedded_stack: StackInfo, unique: str) -> ServiceSettings:
    """Settings for a throwaway service: its own topic prefix, database and group."""
    return ServiceSettings(
        service_name=f"svc{unique}",
        kafka=KafkaSettings(
            bootstrap_servers=embedded_stack.kafka_bootstrap,
            profile=Profile.EMBEDDED,
            topic_prefix=f"t{unique}.",
        ),
        mongo=MongoSettings(uri=embedded_stack.mongo_uri, database=f"test_{unique}"),
        retry=RetrySettings(initial_delay_s=0.01, max_delay_s=0.05, attempts_before_nack=3),
        auth=AuthSettings(
            issuer=embedded_stack.issuer.url,
            audience=AUDIENCE,
            jwks_url=embedded_stack.issuer.jwks_url,
        ),
    )
