"""The HTML report in a real headless browser (Debian's chromium): the page renders, its four
charts are drawn, and the browser reports no console error. The page needs a bearer token, so
the test fetches it as a program manager and opens the saved copy (it is self-contained)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tandem_devkit.harness import ServiceHarness
from tandem_servicekit.testing import wait_until

from .test_metrics_integration import story

CHROMIUM = shutil.which("chromium")
CHARTS = ("chart-sessions-per-week", "chart-cadence", "chart-competence", "chart-feedback")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (Debian package; make browser-tools)",
)


def chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "CI must have chromium: .ci/run installs Debian's package"
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={cwd / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


async def test_the_report_page_renders_its_charts_without_console_errors(
    metrics_service: ServiceHarness, tmp_path: Path
) -> None:
    svc = metrics_service
    await svc.publish(*story(), source="/tandem/test")

    async def complete() -> bool:
        reply = await svc.http.get("/programs/prog/report")
        body = reply.json() if reply.status_code == 200 else {}
        return bool(body.get("competence")) and body["sessions"]["held"] == 3

    await wait_until(complete, timeout_s=30)
    page = await svc.http.get("/programs/prog/report.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    saved = tmp_path / "report.html"
    saved.write_text(page.text)
    url = saved.as_uri()
    dom = chromium("--dump-dom", url, cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for chart in CHARTS:
        assert f'id="{chart}"' in dom.stdout, chart
    assert dom.stdout.count("<rect") >= 3 + 1 + 5, "bars drawn for sessions, competence, ratings"
    assert "<polyline" in dom.stdout, "the cadence line is drawn"
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    shot = tmp_path / "report.png"
    taken = chromium(f"--screenshot={shot}", "--window-size=1280,1600", url, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.stat().st_size > 20_000, "a rendered page, not a blank one"
    shutil.copy(shot, Path(os.environ.get("TANDEM_REPORT_SCREENSHOT", tmp_path / "copy.png")))
