"""Mentor prices from an optimal assignment: the dual of the matching LP.

With prices u (per mentor) the best any mentee could do is max over mentors of score - u_m. If no
mentee can beat its current pair that way, the assignment is optimal over ALL pairs, not only the
candidate graph: that is the pricing test the engine runs, and the bound the benchmark reports.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

TOLERANCE = 2e-5
"""Above the solver's integer rounding (1e-5 per arc), so rounding never looks like a gain."""
MAX_PASSES = 200


@numba.njit(cache=True, nogil=True)
def mentor_prices(
    arc_mentee: Any,
    arc_mentor: Any,
    arc_score: Any,
    assigned: Any,
    assigned_score: Any,
    n_mentors: Any,
) -> Any:
    """Smallest prices consistent with the assignment (Bellman-Ford over difference rules).

    Mentee i paired with mentor a gives u_m >= s_im - s_ia + u_a for every candidate m; an
    unmatched mentee gives u_m >= s_im. Mentors with free places are never priced above 0 by an
    optimal assignment.
    """
    u = np.zeros(n_mentors)
    for _ in range(MAX_PASSES):
        changed = False
        for arc in range(arc_mentee.shape[0]):
            i, m = arc_mentee[arc], arc_mentor[arc]
            a = assigned[i]
            if a == m:
                continue
            need = arc_score[arc] if a < 0 else arc_score[arc] - assigned_score[i] + u[a]
            if need > u[m] + TOLERANCE:
                u[m] = need
                changed = True
        if not changed:
            break
    return u


def block_min_prices(order: Any, prices: Any, block: int) -> Any:
    """The cheapest mentor of each scanning block (lowers the block's score bound the least)."""
    n = len(order)
    padded = np.full(-(-n // block) * block, np.inf)
    padded[:n] = prices[order]
    return padded.reshape(-1, block).min(axis=1) if n else np.zeros(0)
