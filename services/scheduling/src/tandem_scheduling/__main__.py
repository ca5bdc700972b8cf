"""`python -m tandem_scheduling`: run the scheduling service."""

from __future__ import annotations

from tandem_scheduling.bootstrap import build_app
from tandem_scheduling.settings import SchedulingSettings
from tandem_servicekit.runtime import serve


def main() -> None:
    settings = SchedulingSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
