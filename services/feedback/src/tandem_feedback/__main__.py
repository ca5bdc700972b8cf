"""`python -m tandem_feedback`: run the feedback service."""

from __future__ import annotations

from tandem_feedback.bootstrap import build_app
from tandem_feedback.settings import FeedbackSettings
from tandem_servicekit.runtime import serve


def main() -> None:
    settings = FeedbackSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
