"""Matching benchmark on synthetic companies: speed, memory and quality against baselines.

    uv run python benchmarks/matching.py               # 1k, 10k, 100k employees
    uv run python benchmarks/matching.py --sizes 1000 5000

Each size runs in its own process (so peak memory is that size's). Per size it prints wall
time split into candidate generation (encoding + compiled scoring) and solving, peak RSS, the
total score and matched count, and the ratio to
  - the exact optimum: min-cost flow over the complete feasible graph (up to --exact-max),
    cross-checked by scipy's dense linear_sum_assignment (up to --lsa-max);
  - an LP upper bound at every size: mentor prices from the solution's dual, propagated over
    the candidate arcs, then sum  capacity·price + sum _mentee max(0, best score - price) over ALL
    pairs (any prices give a valid bound; good prices make it tight);
  - a greedy baseline (best pair first) over the same candidate graph.
All measured in the same run.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import numba
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from tandem_pairing.domain.matching import MatchingProblem, match
from tandem_pairing.domain.matching.engine import candidate_graph
from tandem_pairing.domain.matching.model import MAX_PRICING_ROUNDS
from tandem_pairing.simulated import participants
from tandem_simulation import company

app = typer.Typer(add_completion=False)
console = Console(width=220)


@numba.njit(cache=True)
def _greedy(mentee: Any, mentor: Any, score: Any, capacities: Any, n_mentees: int) -> Any:
    order = np.argsort(-score, kind="mergesort")
    used = np.zeros(capacities.shape[0], dtype=np.int64)
    taken = np.zeros(n_mentees, dtype=np.bool_)
    total = 0.0
    matched = 0
    for a in order:
        i, m = mentee[a], mentor[a]
        if not taken[i] and used[m] < capacities[m]:
            taken[i] = True
            used[m] += 1
            total += score[a]
            matched += 1
    return total, matched


def run_one(size: int, exact_max: int, lsa_max: int) -> dict[str, Any]:
    people = company(size)
    mentors, mentees = participants(people)
    problem = MatchingProblem(mentors, mentees)
    started = time.perf_counter()
    result = match(problem)
    wall = time.perf_counter() - started
    started = time.perf_counter()
    match(problem)  # the same run again: what a long-running service pays per run
    second = time.perf_counter() - started
    row: dict[str, Any] = {
        "employees": size,
        "mentees": len(mentees),
        "mentors": len(mentors),
        "arcs": result.stats.candidate_arcs,
        "scoring_s": result.stats.scoring_seconds,
        "solving_s": result.stats.solving_seconds,
        "wall_s": wall,
        "second_s": second,
        "score": result.total_score,
        "matched": sum(1 for _ in result.pairs),
    }
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    graph = candidate_graph(problem)
    capacities = np.array([p.capacity for p in mentors], dtype=np.int64)
    row["greedy_score"], row["greedy_matched"] = (
        float(x) for x in _greedy(graph.mentee, graph.mentor, graph.score, capacities, len(mentees))
    )
    certified = match(replace(problem, pricing_rounds=MAX_PRICING_ROUNDS * 2))
    row["optimum"] = certified.total_score
    row["optimum_certified"] = certified.stats.certified_optimal
    row["certified_s"] = certified.stats.scoring_seconds + certified.stats.solving_seconds
    row["pricing_rounds"] = result.stats.pricing_rounds
    if size <= exact_max:
        complete = replace(problem, candidates_per_mentee=len(mentors), candidates_per_mentor=1)
        row["exact"] = match(replace(complete, pricing_rounds=0)).total_score
    if size <= lsa_max:
        row["exact_lsa"] = _dense_lsa(problem, capacities)
    return row


def _dense_lsa(problem: MatchingProblem, capacities: Any) -> float:
    from scipy.optimize import linear_sum_assignment

    complete = replace(problem, candidates_per_mentee=len(problem.mentors), candidates_per_mentor=1)
    graph = candidate_graph(complete)
    n = len(problem.mentees)
    slots = np.repeat(np.arange(len(problem.mentors)), capacities)
    first_slot = np.concatenate([[0], np.cumsum(capacities)[:-1]])
    gain = np.zeros((n, len(slots) + n))  # the extra n columns are "unmatched" (gain 0)
    for c in range(int(capacities.max())):
        ok = c < capacities[graph.mentor]
        gain[graph.mentee[ok], first_slot[graph.mentor[ok]] + c] = graph.score[ok]
    feasible = np.zeros_like(gain, dtype=bool)
    feasible[:, len(slots) :] = True
    for c in range(int(capacities.max())):
        ok = c < capacities[graph.mentor]
        feasible[graph.mentee[ok], first_slot[graph.mentor[ok]] + c] = True
    cost = np.where(feasible, -gain, 1e9)
    rows, cols = linear_sum_assignment(cost)
    return float(gain[rows, cols].sum())


@app.command()
def main(
    sizes: Annotated[list[int] | None, typer.Option(help="employee counts")] = None,
    exact_max: Annotated[
        int, typer.Option(help="exact flow over all pairs up to this size")
    ] = 10_000,
    lsa_max: Annotated[
        int, typer.Option(help="dense linear_sum_assignment up to this size")
    ] = 5_000,
    one: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    if one is not None:
        print(json.dumps(run_one(one, exact_max, lsa_max)))
        return
    rows = []
    for size in sizes or [1_000, 10_000, 100_000]:
        console.print(f"running {size:,} employees …")
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(size),
                "--exact-max",
                str(exact_max),
                "--lsa-max",
                str(lsa_max),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    _print(rows)


def _machine() -> str:
    """The CPU the figures come from, so a reader can compare theirs."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} logical CPUs, numba threads {numba.get_num_threads()}"


def _print(rows: list[dict[str, Any]]) -> None:
    console.print(f"machine: {_machine()}")
    console.print(
        "first call: a fresh process, kernels loaded from numba's on-disk cache; "
        "second call: the same run again in that process"
    )
    table = Table(title="Tandem matching benchmark (synthetic company, seed 7)")
    columns = (
        "employees",
        "mentees / mentors (cap 2)",
        "arcs",
        "pricing rounds",
        "scoring s",
        "solving s",
        "first call s",
        "second call s",
        "peak RSS MB",
        "score",
        "matched",
        "vs certified optimum",
        "vs brute-force exact",
        "greedy vs optimum",
        "greedy matched",
    )
    for col in columns:
        table.add_column(col, justify="right")
    for r in rows:
        exact = r.get("exact")
        optimum = r["optimum"]
        table.add_row(
            f"{r['employees']:,}",
            f"{r['mentees']:,} / {r['mentors']:,}",
            f"{r['arcs']:,}",
            str(r["pricing_rounds"]),
            f"{r['scoring_s']:.2f}",
            f"{r['solving_s']:.2f}",
            f"{r['wall_s']:.2f}",
            f"{r['second_s']:.2f}",
            f"{r['peak_rss_mb']:.0f}",
            f"{r['score']:.1f}",
            f"{r['matched']:,}",
            f"{100 * r['score'] / optimum:.3f}%"
            + ("" if r["optimum_certified"] else " (uncertified)"),
            f"{100 * r['score'] / exact:.3f}%" if exact else "-",
            f"{100 * r['greedy_score'] / optimum:.1f}%",
            f"{int(r['greedy_matched']):,}",
        )
    console.print(table)
    for r in rows:
        line = f"{r['employees']:,}: certified optimum {r['optimum']:.4f}"
        if "exact" in r:
            line += f", complete-graph flow {r['exact']:.4f}"
        if "exact_lsa" in r:
            line += f", dense linear_sum_assignment {r['exact_lsa']:.4f}"
        console.print(line)


if __name__ == "__main__":
    app()
