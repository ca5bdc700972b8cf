"""The image's numba cache: warmed once, copied elsewhere (as the pod's init container does),
then a fresh process loads every kernel instead of compiling it, on a thread-safe layer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def _warm(cache: Path, *args: str, **extra_env: str) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "NUMBA_CPU_NAME": "generic", **extra_env}
    done = subprocess.run(
        [sys.executable, "-m", "tandem_pairing", "warm-cache", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_a_copied_warm_cache_loads_every_kernel_without_compiling(tmp_path: Path) -> None:
    built = tmp_path / "image"
    code, first = _warm(built)
    assert code == 0
    assert first["compiled"], "a cold cache compiles: the counting sees compilation"
    running = tmp_path / "pod"
    shutil.copytree(built, running)
    code, second = _warm(running, "--expect-cached")
    assert code == 0, second
    assert second["compiled"] == []
    assert second["loaded_from_cache"] >= len(first["compiled"])
    assert second["threading_layer"] in ("omp", "tbb")
    # numba's fallback layer aborts on concurrent calls: the image build must refuse it.
    code, unsafe = _warm(running, "--expect-cached", NUMBA_THREADING_LAYER="workqueue")
    assert unsafe["threading_layer"] == "workqueue"
    assert code == 1
