"""Running the four Tandem services as separate processes (for the demo and end-to-end tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

import httpx

from tandem_devkit.embedded import StackInfo, free_port
from tandem_devkit.processes import spawn, stop_process

SERVICES = ("pairing", "scheduling", "feedback", "metrics")
TICKING = ("scheduling", "feedback")
DEMO_PORTS = {"pairing": 8081, "scheduling": 8082, "feedback": 8083, "metrics": 8084}


@dataclass
class RunningService:
    name: str
    port: int
    process: Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)
    """What it was started with (a restart gets the same)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL the whole process group, no drain: what an OOM kill or a lost node does."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def restart(self) -> None:
        """Start it again with the same settings and port (its log goes on in the same file)."""
        self.process = spawn(_command(self.name), log_path=self.log_path, env=self.env)


@dataclass
class ServiceSet:
    services: dict[str, RunningService] = field(default_factory=dict)
    topic_prefix: str = ""
    database_suffix: str = ""

    def stop(self, timeout_s: float = 25.0) -> None:
        """SIGTERM each service (graceful drain), SIGKILL after `timeout_s`."""
        for svc in self.services.values():
            stop_process(svc.process, timeout_s)


def start_services(
    stack: StackInfo,
    log_dir: Path,
    *,
    names: tuple[str, ...] = SERVICES,
    ports: dict[str, int] | None = None,
    topic_prefix: str = "",
    database_suffix: str = "",
    extra_env: dict[str, str] | None = None,
    clock_file: Path | None = None,
    tick_interval_s: float | None = None,
) -> ServiceSet:
    """Each service as `python -m tandem_<name>` on `stack`. With `clock_file` every service
    reads the simulated time from it (write it first); `tick_interval_s` paces the tickers."""
    running = ServiceSet(topic_prefix=topic_prefix, database_suffix=database_suffix)
    for name in names:
        port = (ports or {}).get(name) or free_port()
        env = {**os.environ, **stack.service_env(name, topic_prefix=topic_prefix)}
        prefix = f"TANDEM_{name.upper()}_"
        env[prefix + "HTTP__PORT"] = str(port)
        env[prefix + "LOG_FORMAT"] = "json"
        if database_suffix:
            env[prefix + "MONGO__DATABASE"] = f"tandem_{name}{database_suffix}"
        if clock_file is not None:
            env[prefix + "CLOCK__SIMULATED_FILE"] = str(clock_file)
        if tick_interval_s is not None and name in TICKING:
            env[prefix + "RULES__TICK_INTERVAL_S"] = str(tick_interval_s)
        env.update(extra_env or {})
        log_path = log_dir / f"{name}.log"
        proc = spawn(_command(name), log_path=log_path, env=env)
        running.services[name] = RunningService(name, port, proc, log_path, env)
    return running


def _command(name: str) -> list[str]:
    return [sys.executable, "-m", f"tandem_{name}"]


def wait_ready(running: ServiceSet, timeout_s: float = 60.0) -> dict[str, dict[str, object]]:
    """Poll each /readyz until 200; raise with the service's log tail if one dies or times out."""
    deadline = time.monotonic() + timeout_s
    answers: dict[str, dict[str, object]] = {}
    with httpx.Client(timeout=3.0) as client:
        for svc in running.services.values():
            while True:
                if svc.process.poll() is not None:
                    raise RuntimeError(f"{svc.name} exited:\n{_tail(svc.log_path)}")
                try:
                    reply = client.get(svc.url + "/readyz")
                    if reply.status_code == 200:
                        answers[svc.name] = reply.json()
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{svc.name} not ready:\n{_tail(svc.log_path)}")
                time.sleep(0.2)
    return answers


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"
