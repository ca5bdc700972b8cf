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

import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from typing import Annotated, Any

import numba
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from tandem_pairing.domain.matching import MatchingProblem, match
from tandem_pairing.domain.matching import kernel as k
from tandem_pairing.domain.matching.engine import blocks, candidate_graph, kernel_args
from tandem_pairing.synthetic import company, participants

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


@numba.njit(cache=True)
def _prices(
    mentee: Any, mentor: Any, score: Any, assigned: Any, assigned_score: Any, n_mentors: int
) -> Any:
    """Smallest mentor prices consistent with the assignment (Bellman-Ford on difference rules).

    For a matched mentee i at mentor a: u_m ≥ s_im - s_ia + u_a; for an unmatched one: u_m ≥ s_im.
    """
    u = np.zeros(n_mentors)
    for _ in range(200):
        changed = False
        for arc in range(mentee.shape[0]):
            i, m = mentee[arc], mentor[arc]
            a = assigned[i]
            if a == m:
                continue
            need = score[arc] if a < 0 else score[arc] - assigned_score[i] + u[a]
            if need > u[m] + 1e-12:
                u[m] = need
                changed = True
        if not changed:
            break
    return u


@numba.njit(parallel=True, cache=True)
def _best_margin(n_mentees: int, order: Any, prices: Any, enc: Any, org: Any, blk: Any) -> Any:
    """max(0, max over ALL feasible mentors of score - price), per mentee (the dual's v)."""
    out = np.zeros(n_mentees)
    n = order.shape[0]
    b_min_price = np.full((n + k.BLOCK - 1) // k.BLOCK, np.inf)
    for p in range(n):
        b = p // k.BLOCK
        b_min_price[b] = min(b_min_price[b], prices[order[p]])
    for i in numba.prange(n_mentees):
        best = 0.0
        for b in range(b_min_price.shape[0]):
            if not k._block_feasible(i, b, True, enc, blk):
                continue
            if k._block_bound(i, b, True, enc, blk) - b_min_price[b] <= best:
                continue
            for p in range(b * k.BLOCK, min(n, (b + 1) * k.BLOCK)):
                m = order[p]
                if k.stage_of(i, m, enc) < 4:
                    continue
                topic, shared = k.topic_fit(i, m, enc)
                if enc[12] and shared == 0:
                    continue
                w = enc[15]
                cross = 1.0 if enc[13][i] != enc[14][m] else 0.0
                s = w[0] * topic + w[1] * k.availability_score(i, m, enc) + w[2] * cross
                if s - prices[m] > best and k.org_ok(i, m, org):
                    best = s - prices[m]
        out[i] = best
    return out


def run_one(size: int, exact_max: int, lsa_max: int) -> dict[str, Any]:
    people = company(size)
    mentors, mentees = participants(people)
    problem = MatchingProblem(mentors, mentees)
    started = time.perf_counter()
    result = match(problem)
    wall = time.perf_counter() - started
    row: dict[str, Any] = {
        "employees": size,
        "mentees": len(mentees),
        "mentors": len(mentors),
        "arcs": result.stats.candidate_arcs,
        "scoring_s": result.stats.scoring_seconds,
        "solving_s": result.stats.solving_seconds,
        "wall_s": wall,
        "score": result.total_score,
        "matched": sum(1 for _ in result.pairs),
    }
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    graph = candidate_graph(problem)
    capacities = np.array([p.capacity for p in mentors], dtype=np.int64)
    row["greedy_score"], row["greedy_matched"] = (
        float(x) for x in _greedy(graph.mentee, graph.mentor, graph.score, capacities, len(mentees))
    )
    row["upper_bound"] = _upper_bound(problem, result, graph, capacities)
    if size <= exact_max:
        complete = replace(problem, candidates_per_mentee=len(mentors), candidates_per_mentor=1)
        row["exact"] = match(complete).total_score
    if size <= lsa_max:
        row["exact_lsa"] = _dense_lsa(problem, capacities)
    return row


def _upper_bound(problem: MatchingProblem, result: Any, graph: Any, capacities: Any) -> float:
    mentor_index = {p.enrollment_id: m for m, p in enumerate(problem.mentors)}
    mentee_index = {p.enrollment_id: i for i, p in enumerate(problem.mentees)}
    assigned = np.full(len(problem.mentees), -1, dtype=np.int64)
    assigned_score = np.zeros(len(problem.mentees))
    for pair in result.pairs:
        i = mentee_index[pair.mentee_enrollment_id]
        assigned[i] = mentor_index[pair.mentor_enrollment_id]
        assigned_score[i] = pair.breakdown.total
    prices = _prices(
        graph.mentee, graph.mentor, graph.score, assigned, assigned_score, len(problem.mentors)
    )
    enc_tuple, org_tuple = kernel_args(graph.encoded)
    margins = _best_margin(
        len(problem.mentees),
        graph.encoded.mentors.order,
        prices,
        enc_tuple,
        org_tuple,
        blocks(graph.encoded, True),
    )
    return float(capacities @ prices + margins.sum())


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


def _print(rows: list[dict[str, Any]]) -> None:
    table = Table(title="Tandem matching benchmark (synthetic company, seed 7)")
    for col in (
        "employees",
        "mentees / mentorsx2",
        "arcs",
        "scoring s",
        "solving s",
        "total s",
        "peak RSS MB",
        "score",
        "matched",
        "vs exact",
        "vs LP bound",
        "greedy vs ours",
        "greedy matched",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        exact = r.get("exact")
        table.add_row(
            f"{r['employees']:,}",
            f"{r['mentees']:,} / {r['mentors']:,}",
            f"{r['arcs']:,}",
            f"{r['scoring_s']:.2f}",
            f"{r['solving_s']:.2f}",
            f"{r['wall_s']:.2f}",
            f"{r['peak_rss_mb']:.0f}",
            f"{r['score']:.1f}",
            f"{r['matched']:,}",
            f"{100 * r['score'] / exact:.3f}%" if exact else "—",
            f"{100 * r['score'] / r['upper_bound']:.3f}%",
            f"{100 * r['greedy_score'] / r['score']:.1f}%",
            f"{int(r['greedy_matched']):,}",
        )
    console.print(table)
    for r in rows:
        if "exact_lsa" in r:
            console.print(
                f"{r['employees']:,}: dense linear_sum_assignment optimum {r['exact_lsa']:.4f}, "
                f"complete-graph flow {r['exact']:.4f}"
            )


if __name__ == "__main__":
    app()
