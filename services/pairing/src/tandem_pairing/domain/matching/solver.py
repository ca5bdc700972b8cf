"""Optimal assignment over the sparse candidate graph, as a min-cost flow (OR-Tools).

source → mentee (1) → mentor (1 per arc) → sink (capacity); each mentee also has an arc straight
to the sink ("unmatched", cost 0), so the flow is always feasible and leaving someone unmatched
is a choice the optimum makes, not a failure.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from tandem_pairing.domain.matching.model import Objective

SCALE = 100_000
"""Scores become integer costs with five decimals."""


class SolverFailed(RuntimeError):
    pass


def solve(
    n_mentees: int,
    capacities: npt.NDArray[np.int64],
    arc_mentee: npt.NDArray[np.int32],
    arc_mentor: npt.NDArray[np.int32],
    arc_score: npt.NDArray[np.float64],
    objective: Objective,
) -> npt.NDArray[np.bool_]:
    """Which candidate arcs are chosen."""
    n_mentors = len(capacities)
    n_arcs = len(arc_mentee)
    if n_arcs == 0 or n_mentees == 0:
        return np.zeros(n_arcs, dtype=bool)
    source, sink = 0, 1 + n_mentees + n_mentors
    mentee_node = 1 + np.arange(n_mentees, dtype=np.int64)
    cost = -np.rint(arc_score * SCALE).astype(np.int64)
    if objective is Objective.MAX_MATCHED:
        # One more match always outweighs any difference in total score.
        bonus = int(np.rint(max(float(arc_score.max()), 0.0) * SCALE) + 1) * (n_mentees + 1)
        cost -= bonus
    starts = np.concatenate(
        [
            np.full(n_mentees, source),
            1 + arc_mentee.astype(np.int64),
            mentee_node,
            1 + n_mentees + np.arange(n_mentors, dtype=np.int64),
        ]
    )
    ends = np.concatenate(
        [
            mentee_node,
            1 + n_mentees + arc_mentor.astype(np.int64),
            np.full(n_mentees, sink),
            np.full(n_mentors, sink),
        ]
    )
    caps = np.concatenate(
        [np.ones(n_mentees + n_arcs + n_mentees, dtype=np.int64), capacities.astype(np.int64)]
    )
    costs = np.concatenate(
        [np.zeros(n_mentees, np.int64), cost, np.zeros(n_mentees + n_mentors, np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(starts, ends, caps, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[source], supplies[sink] = n_mentees, -n_mentees
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverFailed(f"min-cost flow ended with status {status}")
    arc_ids = np.arange(n_mentees, n_mentees + n_arcs, dtype=np.int64)
    chosen: npt.NDArray[np.bool_] = flow.flows(arc_ids) > 0
    return chosen
