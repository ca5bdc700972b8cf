"""Event models: strict, frozen, UTC-aware, and every one has a valid example."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from pydantic import ValidationError

from tandem_contracts import EVENT_MODELS, decode, encode
from tandem_contracts.events import EmployeeHired, SessionScheduled
from tandem_contracts.examples import AT, example_events
from tandem_contracts.values import WeeklySlot


def test_every_registered_model_has_an_example() -> None:
    assert {type(e) for e in example_events()} == set(EVENT_MODELS)


@pytest.mark.parametrize("event", example_events(), ids=lambda e: type(e).__name__)
def test_round_trip_through_the_envelope(event: object) -> None:
    from tandem_contracts import Event

    assert isinstance(event, Event)
    record = encode(event, source="/tandem/test")
    envelope = decode(record.headers, record.value)
    assert envelope.event == event
    assert envelope.meta.id == record.meta.id
    assert envelope.meta.type == event.event_type
    assert envelope.meta.subject == event.aggregate_id() == record.key.decode()
    assert record.topic == event.topic


def test_models_are_frozen_and_refuse_unknown_fields() -> None:
    hired = next(e for e in example_events() if isinstance(e, EmployeeHired))
    with pytest.raises(ValidationError):
        hired.job_level = 9  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        EmployeeHired.model_validate({**hired.model_dump(), "salary": 1})


def test_naive_datetimes_are_refused_and_offsets_normalised_to_utc() -> None:
    data = next(e for e in example_events() if isinstance(e, EmployeeHired)).model_dump()
    with pytest.raises(ValidationError, match="time zone"):
        EmployeeHired.model_validate({**data, "effective_at": datetime(2027, 1, 1, 9)})
    shifted = EmployeeHired.model_validate({**data, "effective_at": "2027-01-01T10:00:00+01:00"})
    assert shifted.effective_at == datetime(2027, 1, 1, 9, tzinfo=UTC)
    assert shifted.effective_at.tzinfo is UTC


def test_sessions_last_at_most_an_hour() -> None:
    base = {"session_id": "s", "pair_id": "p", "program_id": "g", "sequence": 1, "starts_at": AT}
    SessionScheduled(**base, ends_at=AT.replace(hour=10))
    with pytest.raises(ValidationError, match="at most 60 minutes"):
        SessionScheduled(**base, ends_at=AT.replace(hour=10, minute=1))


def test_unknown_time_zone_and_inverted_slot_are_refused() -> None:
    data = next(e for e in example_events() if isinstance(e, EmployeeHired)).model_dump()
    with pytest.raises(ValidationError, match="not a known IANA time zone"):
        EmployeeHired.model_validate({**data, "time_zone": "Mars/Olympus"})
    with pytest.raises(ValidationError, match="after its start"):
        WeeklySlot(weekday=0, start=time(10), end=time(9))


def test_an_employee_is_not_their_own_manager() -> None:
    data = next(e for e in example_events() if isinstance(e, EmployeeHired)).model_dump()
    with pytest.raises(ValidationError, match="own manager"):
        EmployeeHired.model_validate({**data, "manager_id": data["employee_id"]})
