"""`python -m tandem_metrics`: run the metrics service."""

from __future__ import annotations

from tandem_metrics.bootstrap import build_app
from tandem_metrics.settings import MetricsSettings
from tandem_servicekit.runtime import serve


def main() -> None:
    settings = MetricsSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
