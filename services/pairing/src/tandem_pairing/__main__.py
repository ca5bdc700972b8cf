"""`python -m tandem_pairing`: run the pairing service."""

from __future__ import annotations

from tandem_pairing.bootstrap import build_app
from tandem_pairing.settings import PairingSettings
from tandem_servicekit.runtime import serve


def main() -> None:
    settings = PairingSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
