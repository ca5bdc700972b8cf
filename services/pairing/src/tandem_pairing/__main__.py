"""`python -m tandem_pairing`: run the pairing service; `python -m tandem_pairing warm-cache`:
compile the matching kernels into numba's on-disk cache (the image build does)."""

from __future__ import annotations

import sys

from tandem_pairing.bootstrap import build_app
from tandem_pairing.entrypoints.warm_cache import main as warm_cache
from tandem_pairing.settings import PairingSettings
from tandem_servicekit.runtime import serve


def main() -> None:
    if sys.argv[1:2] == ["warm-cache"]:
        sys.exit(warm_cache(sys.argv[2:]))
    if sys.argv[1:]:
        sys.exit("usage: python -m tandem_pairing [warm-cache [--expect-cached]]")
    settings = PairingSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
