"""Use cases of programs: a program manager creates, opens and closes them."""

from __future__ import annotations

from tandem_contracts.events import PairEndReason
from tandem_pairing.domain.pairs import PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.service.access import require_manager, require_role
from tandem_pairing.service.commands import CreateProgram
from tandem_pairing.service.lookups import as_conflict, get_program, new_id, transition
from tandem_pairing.service.pairs import end_pairs
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.auth import PROGRAM_MANAGER, Principal


async def create_program(cmd: CreateProgram, caller: Principal, uow: PairingUnitOfWork) -> Program:
    """The creator manages the program, with the co-managers the command names."""
    require_role(caller, PROGRAM_MANAGER)
    program = Program(
        manager_ids=tuple(dict.fromkeys([caller.employee_id, *cmd.co_manager_ids])),
        **cmd.model_dump(exclude={"weights", "rules", "co_manager_ids"}),
        program_id=new_id("prog"),
        weights=cmd.weights.domain(),
        rules=cmd.rules.domain(),
        created_at=uow.clock.now(),
    )
    await uow.programs.put(program)
    await uow.commit()
    return program


async def open_program(program_id: str, caller: Principal, uow: PairingUnitOfWork) -> Program:
    now = uow.clock.now()
    program = await get_program(program_id, uow)
    require_manager(caller, program)
    opened = await transition(program, lambda p: p.open(now), uow.programs.put)
    await uow.commit()
    return opened


async def close_program(program_id: str, caller: Principal, uow: PairingUnitOfWork) -> Program:
    """Closing completes the active pairs and drops open proposals."""
    now = uow.clock.now()  # one moment: the close and its pairs' ends carry the same time
    program = await get_program(program_id, uow)
    require_manager(caller, program)
    with as_conflict():
        program = program.close(now)
    await uow.rosters.bump([program_id])  # first: a run publishing here makes it wait
    await uow.pairs.supersede_proposals(program_id, now)
    active = await uow.pairs.in_program(program_id, [PairStatus.ACTIVE])
    await end_pairs(uow, active, PairEndReason.COMPLETED, at=now)
    await uow.programs.put(program)
    await uow.commit()
    return program
