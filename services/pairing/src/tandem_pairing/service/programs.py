"""Use cases of programs: a program manager creates, opens and closes them."""

from __future__ import annotations

from tandem_contracts.events import PairEndReason
from tandem_pairing.domain.pairs import PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.service.commands import CreateProgram
from tandem_pairing.service.lookups import as_conflict, get_program, new_id
from tandem_pairing.service.pairs import end_pairs
from tandem_pairing.service.ports import PairingUnitOfWork


async def create_program(cmd: CreateProgram, uow: PairingUnitOfWork) -> Program:
    program = Program(
        program_id=new_id("prog"),
        name=cmd.name,
        starts_on=cmd.starts_on,
        ends_on=cmd.ends_on,
        duration_weeks=cmd.duration_weeks,
        cadence_weeks=cmd.cadence_weeks,
        session_minutes=cmd.session_minutes,
        format=cmd.format,
        group_size=cmd.group_size,
        topics=tuple(cmd.topics),
        weights=cmd.weights.domain(),
        rules=cmd.rules.domain(),
        mentor_capacity=cmd.mentor_capacity,
        objective=cmd.objective,
        auto_accept=cmd.auto_accept,
        created_at=uow.clock.now(),
    )
    await uow.programs.put(program)
    await uow.commit()
    return program


async def open_program(program_id: str, uow: PairingUnitOfWork) -> Program:
    program = await get_program(program_id, uow)
    with as_conflict():
        program = program.open(uow.clock.now())
    await uow.programs.put(program)
    await uow.commit()
    return program


async def close_program(program_id: str, uow: PairingUnitOfWork) -> Program:
    """Closing completes the active pairs and drops open proposals."""
    program = await get_program(program_id, uow)
    with as_conflict():
        program = program.close(uow.clock.now())
    await uow.pairs.supersede_proposals(program_id)
    active = await uow.pairs.in_program(program_id, [PairStatus.ACTIVE])
    await end_pairs(uow, active, PairEndReason.COMPLETED)
    await uow.programs.put(program)
    await uow.commit()
    return program
