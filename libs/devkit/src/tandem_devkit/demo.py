"""The demo scenario run once everything is up (grows with each service's features)."""

from __future__ import annotations

import httpx
from rich.console import Console

from tandem_devkit.embedded import StackInfo
from tandem_devkit.services import ServiceSet


def run_demo(console: Console, stack: StackInfo, running: ServiceSet) -> None:
    with httpx.Client(timeout=5.0) as client:
        for name, svc in running.services.items():
            health = client.get(svc.url + "/healthz").json()
            console.print(f"  {name:11} healthz={health['status']}")
