"""The simulated clock a demo or test run shares: follows the file, never goes back, never in
production."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from tandem_servicekit.clock import SimulatedClock, SystemClock, set_simulated_time
from tandem_servicekit.settings import ServiceSettings
from tandem_servicekit.ticker import until_next_pass

MONDAY = datetime(2027, 1, 11, 8, 0, tzinfo=UTC)


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_DEMO_", env_nested_delimiter="__")
    service_name: str = "demo"
    default_http_port: ClassVar[int] = 8099


def test_the_clock_follows_every_replacement_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    set_simulated_time(path, MONDAY)
    clock = SimulatedClock(path)
    assert clock.now() == MONDAY
    for days in range(1, 30):
        set_simulated_time(path, MONDAY + timedelta(days=days))
        assert clock.now() == MONDAY + timedelta(days=days)
    assert clock.today() == (MONDAY + timedelta(days=29)).date()


def test_the_clock_never_goes_back_and_reads_other_offsets_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    set_simulated_time(path, MONDAY)
    clock = SimulatedClock(path)
    set_simulated_time(path, MONDAY - timedelta(hours=1))
    assert clock.now() == MONDAY
    path.write_text("2027-01-11T10:30:00+01:00")
    assert clock.now() == datetime(2027, 1, 11, 9, 30, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot be read"), ("next monday", "no ISO-8601"), ("2027-01-11T08:00", "offset")],
)
def test_a_bad_clock_file_is_refused_at_start_up(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "clock"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValidationError, match=message):
        DemoSettings(kafka={"profile": "embedded"}, clock={"simulated_file": path})


def test_the_production_profile_refuses_the_simulated_clock(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    set_simulated_time(path, MONDAY)
    with pytest.raises(ValidationError, match="production"):
        DemoSettings(clock={"simulated_file": path})
    with pytest.raises(ValidationError, match="production"):
        DemoSettings(kafka={"profile": "production"}, clock={"simulated_file": path})
    embedded = DemoSettings(kafka={"profile": "embedded"}, clock={"simulated_file": path})
    assert isinstance(embedded.clock.build(), SimulatedClock)
    assert isinstance(DemoSettings().clock.build(), SystemClock)


def test_the_environment_sets_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clock"
    set_simulated_time(path, MONDAY)
    monkeypatch.setenv("TANDEM_DEMO_KAFKA__PROFILE", "embedded")
    monkeypatch.setenv("TANDEM_DEMO_CLOCK__SIMULATED_FILE", str(path))
    assert DemoSettings().clock.build().now() == MONDAY


async def test_a_ticker_on_simulated_time_passes_as_soon_as_the_time_moves(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    set_simulated_time(path, MONDAY)
    clock = SimulatedClock(path)
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = asyncio.create_task(until_next_pass(clock, interval_s=30))
    await asyncio.sleep(0.1)
    assert not waiting.done(), "nothing moved: it waits"
    set_simulated_time(path, MONDAY + timedelta(days=1))
    await asyncio.wait_for(waiting, 2)
    assert loop.time() - started < 5


async def test_without_a_simulated_clock_the_interval_is_kept() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await until_next_pass(SystemClock(), interval_s=0.2)
    assert loop.time() - started >= 0.2
