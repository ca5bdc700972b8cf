"""`tandem`: the developer command line (embedded servers, demo)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tandem_devkit.embedded import EmbeddedError, StackInfo, start_stack, stop_stack
from tandem_devkit.issuer import ROLES
from tandem_devkit.processes import alive
from tandem_devkit.program import DEMO_COMPANY, ScenarioPlan, program_start_clock
from tandem_devkit.services import DEMO_PORTS, start_services, wait_ready
from tandem_servicekit.clock import set_simulated_time

app = typer.Typer(help="Tandem developer tools", no_args_is_help=True)
dev = typer.Typer(help="The embedded Kafka-protocol broker and MongoDB-wire server")
app.add_typer(dev, name="dev")
console = Console()

STATE_DIR = Path(".tandem")
DEMO_KAFKA_PORT = 19092
DEMO_MONGO_PORT = 27117
DEMO_MONGO_CACHE = "2G"

StateDir = Annotated[Path, typer.Option(help="where logs and the state file go")]
KafkaPort = Annotated[int, typer.Option(help="loopback port of the embedded Kafka broker")]
MongoPort = Annotated[int, typer.Option(help="loopback port of the embedded MongoDB server")]
HttpBasePort = Annotated[int, typer.Option(help="pairing gets this port, the others the next")]


def _state_file(state_dir: Path) -> Path:
    return state_dir / "dev.json"


@dev.command("up")
def dev_up(
    state_dir: StateDir = STATE_DIR,
    kafka_port: KafkaPort = DEMO_KAFKA_PORT,
    mongo_port: MongoPort = DEMO_MONGO_PORT,
) -> None:
    """Start both servers in the background and record their addresses and PIDs."""
    state = _state_file(state_dir)
    if state.exists() and alive(StackInfo.load(state).kafka_pid):
        console.print(f"already running (see {state}); `tandem dev down` first")
        raise typer.Exit(1)
    try:
        info = start_stack(
            state_dir, kafka_port=kafka_port, mongo_port=mongo_port, tied_to_parent=False
        )
    except EmbeddedError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    info.save(state)
    console.print(f"Kafka   {info.kafka_bootstrap}  (pid {info.kafka_pid})")
    console.print(f"MongoDB {info.mongo_uri}  (pid {info.mongo_pid})")
    console.print(f"Issuer  {info.issuer_url}  (pid {info.issuer_pid}; `tandem dev token`)")


@dev.command("token")
def dev_token(
    employee: Annotated[str, typer.Option(help="the employee id the token speaks for")],
    role: Annotated[list[str], typer.Option(help=f"one of {', '.join(ROLES)}; repeatable")],
    ttl: Annotated[int, typer.Option(help="seconds until it expires")] = 3600,
    state_dir: StateDir = STATE_DIR,
) -> None:
    """Mint a bearer token signed by the embedded issuer (started by `dev up` or the demo)."""
    state = _state_file(state_dir)
    if not state.exists():
        console.print("the embedded stack is not running: `tandem dev up` first")
        raise typer.Exit(1)
    unknown = sorted(set(role) - set(ROLES))
    if unknown:
        console.print(f"[red]unknown role {', '.join(unknown)}; one of {', '.join(ROLES)}[/red]")
        raise typer.Exit(2)
    print(StackInfo.load(state).issuer.token(employee, role, ttl_s=ttl))


@dev.command("down")
def dev_down(state_dir: StateDir = STATE_DIR) -> None:
    """Stop the servers that `dev up` started."""
    state = _state_file(state_dir)
    if not state.exists():
        console.print("nothing running")
        return
    stop_stack(StackInfo.load(state))
    state.unlink()
    console.print("stopped")


@dev.command("status")
def dev_status(state_dir: StateDir = STATE_DIR) -> None:
    state = _state_file(state_dir)
    if not state.exists():
        console.print("not running")
        raise typer.Exit(1)
    info = StackInfo.load(state)
    for name, pid, where in (
        ("kafka", info.kafka_pid, info.kafka_bootstrap),
        ("mongo", info.mongo_pid, info.mongo_uri),
        ("issuer", info.issuer_pid, info.issuer_url),
    ):
        console.print(f"{name:6} pid {pid:<8} {'up' if alive(pid) else 'DOWN':5} {where}")


@app.command("demo")
def demo(
    state_dir: StateDir = STATE_DIR / "demo",
    kafka_port: KafkaPort = DEMO_KAFKA_PORT,
    mongo_port: MongoPort = DEMO_MONGO_PORT,
    http_base_port: HttpBasePort = 8081,
    employees: Annotated[
        int, typer.Option(min=40, max=100_000, help="size of the synthetic company")
    ] = DEMO_COMPANY,
) -> None:
    """Embedded servers + all four services on simulated time; a 12-week program runs through
    them; prints the KPI report and URLs; Ctrl-C stops everything."""
    from tandem_devkit.demo import run_demo

    began = time.monotonic()
    console.print("[bold]Tandem demo[/bold]: starting the embedded Kafka and MongoDB …")
    try:
        # A 12-week program of 2,000 people keeps every service's collections in the embedded
        # database's memory: its 256 MB default answers commits with InternalError when full.
        info = start_stack(
            state_dir, kafka_port=kafka_port, mongo_port=mongo_port, mongo_cache=DEMO_MONGO_CACHE
        )
    except EmbeddedError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    ports = {name: http_base_port + i for i, name in enumerate(DEMO_PORTS)}
    running = None

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Explicit for both: a shell that starts us in the background may have set SIGINT to ignore.
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        clock = state_dir / "clock"
        set_simulated_time(clock, program_start_clock(ScenarioPlan()))
        running = start_services(info, state_dir / "logs", ports=ports, clock_file=clock)
        pids = {"kafka": info.kafka_pid, "mongo": info.mongo_pid}
        pids.update({n: s.process.pid for n, s in running.services.items()})
        (state_dir / "demo-pids.json").write_text(json.dumps(pids))
        answers = wait_ready(running)
        table = Table(title="Tandem services")
        for column in ("service", "URL", "readyz", "API docs"):
            table.add_column(column)
        for name, svc in running.services.items():
            table.add_row(name, svc.url, str(answers[name]["status"]), svc.url + "/docs")
        console.print(table)
        console.print(f"Kafka {info.kafka_bootstrap} · MongoDB {info.mongo_uri}")
        console.print(f"Logs in {state_dir / 'logs'}")
        info.save(_state_file(state_dir))
        console.print(
            f"Every API needs a bearer token from the embedded issuer ({info.issuer_url}): "
            f"tandem dev token --state-dir {state_dir} --employee emp-000001 "
            "--role program_manager"
        )
        run_demo(console, info, running, clock, employees=employees)
        console.print(f"The report was ready {time.monotonic() - began:.0f} s after the start.")
        console.print("[green]Running.[/green] Press Ctrl-C to stop everything.")
        signal.pause()
    except KeyboardInterrupt:
        console.print("\nstopping …")
    finally:
        # A second Ctrl-C (uv forwards the terminal's, too) must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if running is not None:
            running.stop()
        stop_stack(info)
        console.print("all stopped")


if __name__ == "__main__":
    app()
