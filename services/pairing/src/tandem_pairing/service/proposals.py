"""Turning the engine's proposed pairs into pairs of the program (active at once when the
program accepts automatically)."""

from __future__ import annotations

from datetime import datetime

from tandem_contracts.values import ProgramFormat
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.matching import ProposedPair
from tandem_pairing.domain.pairs import Pair, pair_terms
from tandem_pairing.domain.programs import Program
from tandem_pairing.service.lookups import new_id

MEETS_TOGETHER = (ProgramFormat.GROUP, ProgramFormat.WORKSHOP)
"""Formats whose mentor meets all their mentees at once: the pairs share a `group_id`."""


def new_pair(
    program: Program,
    run_id: str,
    proposed: ProposedPair,
    by_id: dict[str, Enrollment],
    at: datetime,
) -> Pair:
    mentor, mentee = by_id[proposed.mentor_enrollment_id], by_id[proposed.mentee_enrollment_id]
    pair = Pair(
        pair_id=new_id("pair"),
        program_id=program.program_id,
        run_id=run_id,
        group_id=f"grp-{mentor.enrollment_id}" if program.format in MEETS_TOGETHER else None,
        mentor_enrollment_id=mentor.enrollment_id,
        mentee_enrollment_id=mentee.enrollment_id,
        mentor_id=mentor.employee_id,
        mentee_id=mentee.employee_id,
        breakdown=proposed.breakdown,
        created_at=at,
    )
    if not program.auto_accept:
        return pair
    return pair.activate(at, pair_terms(program, mentor, mentee, at.date()))
