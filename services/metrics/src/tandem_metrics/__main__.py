"""`python -m tandem_metrics`: run the metrics service; `python -m tandem_metrics rebuild`:
replay every topic into fresh facts (with the service stopped)."""

from __future__ import annotations

import asyncio
import sys

from tandem_metrics.bootstrap import build_app
from tandem_metrics.entrypoints.rebuild import rebuild
from tandem_metrics.settings import MetricsSettings
from tandem_servicekit.logging import configure_logging
from tandem_servicekit.runtime import serve


def main() -> None:
    settings = MetricsSettings()
    if sys.argv[1:] == ["rebuild"]:
        configure_logging(settings.log_format, settings.log_level)
        asyncio.run(rebuild(settings))
        return
    if sys.argv[1:]:
        sys.exit("usage: python -m tandem_metrics [rebuild]")
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
