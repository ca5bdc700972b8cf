"""Confirmations for auditors: a service has erased a person's data (GDPR)."""

from __future__ import annotations

from pydantic import Field

from tandem_contracts import topics
from tandem_contracts.base import Event, Identifier, UtcDatetime


class PersonalDataErased(
    Event,
    type="org.tandem.privacy.personal_data_erased.v1",
    topic=topics.PRIVACY,
    key="request_id",
):
    """One service finished an `EmployeeErasureRequested`. It names the request, never the
    person: the confirmation itself holds no personal data."""

    request_id: Identifier
    service: str = Field(min_length=1, max_length=40)
    records: int = Field(ge=0, description="documents erased or pseudonymised")
    erased_at: UtcDatetime
