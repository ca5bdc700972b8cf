"""`python -m tandem_pairing warm-cache`: compile the matching kernels into numba's on-disk cache.

The first matching run in a fresh process otherwise compiles every kernel (a dozen seconds or
more). The container image runs this at build time with `NUMBA_CACHE_DIR` set and
`NUMBA_CPU_NAME=generic` (code for any x86-64, so a cache built on one machine loads on another);
`--expect-cached` then proves that a new process loads every kernel from the cache, and that
numba runs its parallel kernels on a thread-safe layer (OpenMP or TBB): the service calls them
from worker threads, and numba's fallback layer aborts the process on concurrent use.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from typing import Any

from numba.np.ufunc.parallel import threading_layer

from tandem_pairing.domain.matching import (
    MatchingProblem,
    Objective,
    breakdown,
    duals,
    kernel,
    match,
    suggest_mentors,
)
from tandem_pairing.simulated import participants
from tandem_simulation import company

THREAD_SAFE_LAYERS = ("omp", "tbb")
WARM_COMPANY = 300
"""Large enough to take every path of the engine (blocks, pricing, certification)."""


def _dispatchers() -> Iterator[tuple[str, Any]]:
    for module in (kernel, duals):
        for name, value in vars(module).items():
            if hasattr(value, "stats") and hasattr(value, "py_func"):
                yield f"{module.__name__.rsplit('.', 1)[-1]}.{name}", value


def warm() -> dict[str, Any]:
    """Run the engine on a small synthetic company; report what came from the cache."""
    started = time.perf_counter()
    mentors, mentees = participants(company(WARM_COMPANY))
    for objective in Objective:
        problem = MatchingProblem(mentors, mentees, objective=objective)
        match(problem)
    problem = MatchingProblem(mentors, mentees)
    suggest_mentors(problem, mentees[0], 5)
    breakdown(problem, mentors[0], mentees[0])
    hits = misses = 0
    compiled: list[str] = []
    for name, dispatcher in _dispatchers():
        hits += sum(dispatcher.stats.cache_hits.values())
        missed = sum(dispatcher.stats.cache_misses.values())
        misses += missed
        if missed:
            compiled.append(name)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "loaded_from_cache": hits,
        "compiled": sorted(compiled),
        "threading_layer": _threading_layer(),
    }


def _threading_layer() -> str:
    try:
        return str(threading_layer())  # type: ignore[no-untyped-call]
    except ValueError:  # no parallel kernel has run
        return "none"


def main(args: list[str]) -> int:
    if args not in ([], ["--expect-cached"]):
        print("usage: python -m tandem_pairing warm-cache [--expect-cached]", file=sys.stderr)
        return 2
    report = warm()
    print(json.dumps(report))
    if args and report["compiled"]:
        print("kernels were compiled, not loaded from the cache", file=sys.stderr)
        return 1
    if args and report["threading_layer"] not in THREAD_SAFE_LAYERS:
        print(
            f"numba's threading layer is {report['threading_layer']!r}, not thread-safe: "
            "install libgomp (OpenMP) or tbb",
            file=sys.stderr,
        )
        return 1
    return 0
