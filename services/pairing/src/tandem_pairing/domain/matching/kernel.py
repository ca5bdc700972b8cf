"""The compiled candidate kernel: each row (a mentee, or a mentor) against the whole other side.

Two ideas keep it fast at 100,000 employees:
- The other side is sorted by time zone and language and cut into blocks of `BLOCK` people with
  a summary (OR of languages, free-time runs, availability and topics; extreme seniority; best
  level per topic). A block is skipped when nobody in it can be feasible, or, once the row's
  top-k is full, when the block's score bound cannot beat the row's current worst entry.
- Inside a block, checks run cheapest first (language, seniority, common time, topics) and the
  availability popcount and the reporting-line walk run only for a pair that could enter the top-k.
Each row also counts how many partners passed each stage (its funnel). Blocks are only skipped
after the row has a candidate, so the funnel is exact for every row that ends up with none,
which is when it is read, to explain why.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

STAGES = 6  # language, seniority, time, topic, organisation, avoid wishes
BLOCK = 128
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_ZERO = np.uint64(0)
MINUTES_CAP = 180.0
WEEK_MINUTES = 7 * 24 * 60


@numba.njit(inline="always", cache=True, nogil=True)
def _popcount(x: Any) -> Any:
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return (x * _H01) >> np.uint64(56)


@numba.njit(inline="always", cache=True, nogil=True)
def _in_chain(chain: Any, who: Any) -> bool:
    for k in range(chain.shape[0]):
        if chain[k] < 0:
            return False
        if chain[k] == who:
            return True
    return False


@numba.njit(inline="always", cache=True, nogil=True)
def org_ok(i: Any, m: Any, org: Any) -> bool:
    """Not in each other's reporting line; no shared manager or team unless allowed."""
    (
        mentee_emp,
        mentor_emp,
        mentee_mgr,
        mentor_mgr,
        mentee_team,
        mentor_team,
        mentee_chain,
        mentor_chain,
        allow_same_manager,
        allow_same_team,
        _mentee_avoid,
        _mentor_avoid,
    ) = org
    if not allow_same_manager and mentee_mgr[i] >= 0 and mentee_mgr[i] == mentor_mgr[m]:
        return False
    if not allow_same_team and mentee_team[i] >= 0 and mentee_team[i] == mentor_team[m]:
        return False
    return not (
        _in_chain(mentee_chain[i], mentor_emp[m]) or _in_chain(mentor_chain[m], mentee_emp[i])
    )


@numba.njit(inline="always", cache=True, nogil=True)
def avoided(i: Any, m: Any, org: Any) -> bool:
    """Either side asked not to be paired with the other."""
    mentee_emp, mentor_emp, mentee_avoid, mentor_avoid = org[0], org[1], org[10], org[11]
    return _in_chain(mentee_avoid[i], mentor_emp[m]) or _in_chain(mentor_avoid[m], mentee_emp[i])


@numba.njit(inline="always", cache=True, nogil=True)
def preferred(i: Any, m: Any, enc: Any) -> float:
    """1 when either side named the other as a preferred partner."""
    mentee_prefer, mentor_prefer, mentee_emp, mentor_emp = enc[19], enc[20], enc[21], enc[22]
    if _in_chain(mentee_prefer[i], mentor_emp[m]) or _in_chain(mentor_prefer[m], mentee_emp[i]):
        return 1.0
    return 0.0


@numba.njit(inline="always", cache=True, nogil=True)
def topic_fit(i: Any, m: Any, enc: Any) -> tuple[float, int]:
    """Share of the mentee's weighted goals the mentor covers, scaled by level; shared count."""
    goal_topics, goal_prios, levels = enc[9], enc[10], enc[11]
    fit = 0.0
    total_prio = 0.0
    shared = 0
    for g in range(goal_topics.shape[1]):
        t = goal_topics[i, g]
        if t < 0:
            break
        total_prio += goal_prios[i, g]
        level = levels[m, t]
        if level > 0:
            shared += 1
            fit += goal_prios[i, g] * level
    return (fit / (5.0 * total_prio) if total_prio > 0 else 0.0), shared


@numba.njit(inline="always", cache=True, nogil=True)
def exact_time(i: Any, m: Any, enc: Any) -> Any:
    """(a common free run of the minimum length in every DST regime, the common minutes of
    the worst regime), on exact UTC minutes; a run may wrap from Sunday into Monday."""
    a_s, a_e, a_ptr, b_s, b_e, b_ptr, need = (
        enc[23],
        enc[24],
        enc[25],
        enc[26],
        enc[27],
        enc[28],
        enc[29],
    )
    worst = WEEK_MINUTES
    for p in range(a_ptr.shape[1] - 1):
        a, a_stop = a_ptr[i, p], a_ptr[i, p + 1]
        b, b_stop = b_ptr[m, p], b_ptr[m, p + 1]
        total = 0
        best = 0
        run = 0
        lead = -1  # the run starting at minute 0, once it has ended
        from_zero = False
        last_end = -1
        while a < a_stop and b < b_stop:
            lo = max(a_s[a], b_s[b])
            hi = min(a_e[a], b_e[b])
            if lo < hi:
                if lo == last_end:
                    run += hi - lo
                else:
                    if last_end < 0:
                        from_zero = lo == 0
                    elif from_zero and lead < 0:
                        lead = run
                    run = hi - lo
                total += hi - lo
                best = max(best, run)
                last_end = hi
            if a_e[a] <= b_e[b]:
                a += 1
            else:
                b += 1
        if from_zero and lead >= 0 and last_end == WEEK_MINUTES:
            best = max(best, run + lead)
        if best < need:
            return False, 0
        worst = min(worst, total)
    return True, worst


@numba.njit(inline="always", cache=True, nogil=True)
def _share_language(a: Any, i: Any, b: Any, j: Any) -> bool:
    """Row i of `a` and row j of `b` (language bit words) have a language in common."""
    for w in range(a.shape[1]):  # noqa: SIM110 - numba compiles a loop, not a generator
        if a[i, w] & b[j, w] != _ZERO:
            return True
    return False


@numba.njit(inline="always", cache=True, nogil=True)
def stage_of(i: Any, m: Any, enc: Any, exact: bool) -> int:
    """How many of the first four checks the pair passes in order (4 = all). Time is checked
    on the coarse half-hours, and with `exact` also on exact minutes (the caller otherwise
    checks it once the pair's score could still enter the row's list)."""
    mentee_lang, mentor_lang, mentee_runs, mentor_runs = enc[0], enc[1], enc[4], enc[5]
    if not _share_language(mentee_lang, i, mentor_lang, m):
        return 0
    if enc[6][i] - enc[7][m] < enc[8]:
        return 1
    run = _ZERO
    for w in range(mentee_runs.shape[1]):
        run |= mentee_runs[i, w] & mentor_runs[m, w]
    if run == _ZERO:  # the coarse half-hours already rule it out
        return 2
    if exact:
        feasible, _ = exact_time(i, m, enc)
        if not feasible:
            return 2
    if enc[12] and enc[16][i] & enc[17][m] == _ZERO:
        return 3
    return 4


@numba.njit(cache=True, nogil=True)
def block_summaries(
    order: Any,
    lang: Any,
    runs: Any,
    avail: Any,
    topics: Any,
    seniority: Any,
    levels: Any,
    want_min: bool,
) -> Any:
    """Per block of BLOCK consecutive people (in `order`): ORs, extreme seniority, best levels."""
    n = order.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    words = runs.shape[1]
    b_lang = np.zeros((n_blocks, lang.shape[1]), dtype=np.uint64)
    b_runs = np.zeros((n_blocks, words), dtype=np.uint64)
    b_avail = np.zeros((n_blocks, words), dtype=np.uint64)
    b_topics = np.zeros(n_blocks, dtype=np.uint64)
    b_sen = np.zeros(n_blocks, dtype=np.int64)
    b_levels = np.zeros((n_blocks, levels.shape[1]), dtype=np.float32)
    for b in range(n_blocks):
        first = True
        for p in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            o = order[p]
            for w in range(lang.shape[1]):
                b_lang[b, w] |= lang[o, w]
            b_topics[b] |= topics[o]
            for w in range(words):
                b_runs[b, w] |= runs[o, w]
                b_avail[b, w] |= avail[o, w]
            s = seniority[o]
            if first or (s < b_sen[b] if want_min else s > b_sen[b]):
                b_sen[b] = s
            first = False
            for t in range(levels.shape[1]):
                b_levels[b, t] = max(b_levels[b, t], levels[o, t])
    return b_lang, b_runs, b_avail, b_topics, b_sen, b_levels


@numba.njit(inline="always", cache=True, nogil=True)
def _block_bound(r: Any, b: Any, rows_are_mentees: bool, enc: Any, blocks: Any) -> Any:
    """An upper bound on any pair's score between row r and block b (a feasible block)."""
    b_avail, b_levels = blocks[2], blocks[5]
    weights = enc[15]
    if rows_are_mentees:
        goal_topics, goal_prios = enc[9], enc[10]
        fit = 0.0
        total_prio = 0.0
        for g in range(goal_topics.shape[1]):
            t = goal_topics[r, g]
            if t < 0:
                break
            total_prio += goal_prios[r, g]
            fit += goal_prios[r, g] * b_levels[b, t]
        topic = fit / (5.0 * total_prio) if total_prio > 0 else 0.0
        row_avail = enc[2]
    else:
        best = 0.0
        for t in range(b_levels.shape[1]):
            if b_levels[b, t] > 0:  # some mentee in the block wants topic t
                best = max(best, enc[11][r, t])
        topic = best / 5.0
        row_avail = enc[3]
    common = 0
    for w in range(row_avail.shape[1]):
        common += _popcount(row_avail[r, w] & b_avail[b, w])
    availability = min(common * 30.0, MINUTES_CAP) / MINUTES_CAP
    return weights[0] * topic + weights[1] * availability + weights[2] + weights[3]


@numba.njit(inline="always", cache=True, nogil=True)
def _block_feasible(r: Any, b: Any, rows_are_mentees: bool, enc: Any, blocks: Any) -> Any:
    b_lang, b_runs, b_topics, b_sen = blocks[0], blocks[1], blocks[3], blocks[4]
    if rows_are_mentees:
        lang, runs, topics = enc[0], enc[4], enc[16]
        if enc[6][r] - b_sen[b] < enc[8]:  # block's most junior mentor still too senior
            return False
    else:
        lang, runs, topics = enc[1], enc[5], enc[17]
        if b_sen[b] - enc[7][r] < enc[8]:  # block's most senior mentee still not senior enough
            return False
    if not _share_language(lang, r, b_lang, b):
        return False
    if enc[12] and topics[r] & b_topics[b] == _ZERO:
        return False
    run = _ZERO
    for w in range(runs.shape[1]):
        run |= runs[r, w] & b_runs[b, w]
    return run != _ZERO


@numba.njit(inline="always", cache=True, nogil=True)
def _worst(scores: Any, row: Any) -> int:
    worst = 0
    for j in range(1, scores.shape[1]):
        if scores[row, j] < scores[row, worst]:
            worst = j
    return worst


@numba.njit(inline="always", cache=True, nogil=True)
def _partial_score(i: Any, m: Any, enc: Any) -> Any:
    """(the topic rule holds, the pair's score without its availability term)."""
    weights, prices = enc[15], enc[18]
    topic, shared = topic_fit(i, m, enc)
    if enc[12] and shared == 0:
        return False, 0.0
    cross = 1.0 if enc[13][i] != enc[14][m] else 0.0
    partial = weights[0] * topic + weights[2] * cross + weights[3] * preferred(i, m, enc)
    return True, partial - prices[m]


@numba.njit(inline="always", cache=True, nogil=True)
def _scan_row(
    r: Any,
    rows_are_mentees: bool,
    order: Any,
    enc: Any,
    org: Any,
    blocks: Any,
    scores: Any,
    ids: Any,
    funnel: Any,
) -> None:
    """Fill row r's top-k and funnel against every partner on the other side."""
    k = scores.shape[1]
    n_other = order.shape[0]
    weights = enc[15]
    count = 0
    worst = 0
    passed = np.zeros(STAGES, dtype=np.int32)
    row = np.int64(r)
    for b in range((n_other + BLOCK - 1) // BLOCK):
        if count > 0:
            if not _block_feasible(row, b, rows_are_mentees, enc, blocks):
                continue
            if count == k:
                bound = _block_bound(row, b, rows_are_mentees, enc, blocks) - blocks[6][b]
                if bound <= scores[row, worst]:
                    continue
        for p in range(b * BLOCK, min(n_other, (b + 1) * BLOCK)):
            other = np.int64(order[p])
            i = row if rows_are_mentees else other
            m = other if rows_are_mentees else row
            # Until the row's list is full, every check runs in order (the funnel then names the
            # first one nobody passed); after that, exact minutes only for pairs that could
            # still enter the list.
            stage = stage_of(i, m, enc, count < k)
            for s in range(stage):
                passed[s] += 1
            if stage < 4:
                continue
            topic_ok, partial = _partial_score(i, m, enc)
            if not topic_ok:  # the topic mask can over-approximate past 64 topics
                passed[3] -= 1
                continue
            if count == k and partial + weights[1] <= scores[row, worst]:
                continue
            feasible, minutes = exact_time(i, m, enc)
            if not feasible:  # passed only the coarse time check (and the topic one after it)
                passed[2] -= 1
                passed[3] -= 1
                continue
            total = partial + weights[1] * min(minutes * 1.0, MINUTES_CAP) / MINUTES_CAP
            if count == k and total <= scores[row, worst]:
                continue
            if not org_ok(i, m, org):
                continue
            passed[4] += 1
            if avoided(i, m, org):
                continue
            passed[5] += 1
            slot = count if count < k else worst
            scores[row, slot] = total
            ids[row, slot] = other
            if count < k:
                count += 1
            if count == k:
                worst = _worst(scores, row)
    funnel[row, :] = passed


@numba.njit(parallel=True, cache=True, nogil=True)
def top_candidates(
    n_rows: Any, rows_are_mentees: bool, order: Any, k: Any, enc: Any, org: Any, blocks: Any
) -> Any:
    """Each row's k best feasible partners (indices on the other side, -1 padded) and funnel.

    Scores are reduced by the mentor's price (`enc[18]`, zeros outside pricing rounds).

    Rows are mentees (their best mentors) or mentors (their best mentees): both lists are
    needed, or every mentee's list fills with the same few popular mentors.
    """
    scores = np.full((n_rows, k), -1.0)
    ids = np.full((n_rows, k), -1, dtype=np.int32)
    funnel = np.zeros((n_rows, STAGES), dtype=np.int32)
    for r in numba.prange(n_rows):
        _scan_row(r, rows_are_mentees, order, enc, org, blocks, scores, ids, funnel)
    return scores, ids, funnel
