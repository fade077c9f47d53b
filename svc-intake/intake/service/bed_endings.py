"""Recording the end of a bed (撤床, 转养, an expired contract): its status, the contract's
dissolution (who, when, why) and the platform-update deadline counted from it (001 §四(六)).

Shared by the officers' and providers' commands, the referral consumer and the expiry sweep; the
caller owns the transaction and commits.
"""

from __future__ import annotations

from datetime import datetime

from chassis.db import UnitOfWork
from intake.domain.bed import ChangeOutcome
from intake.repository import SqlRepository
from intake.service.events import emit_bed_event
from intake.tables import BedRow

EXPIRY_SWEEP = "svc-intake:contract-expiry"  # who dissolves a contract that ended unrenewed
REFERRAL_SERVICE = "svc-referral"  # who dissolves one on a nursing-home admission


async def end_bed(
    uow: UnitOfWork,
    bed: BedRow,
    outcome: ChangeOutcome,
    *,
    now: datetime,
    by: str,
    note: str | None,
    name: str,
) -> None:
    """Record the end and the dissolution; announce `bed.<name>` only if other services have
    heard of the bed (it was established)."""
    was_established = bed.established_on is not None
    bed.status = outcome.status.value
    bed.end_reason = outcome.reason.value
    bed.event_date = outcome.event_date
    bed.contract_dissolved_on = outcome.contract_dissolved_on
    bed.contract_dissolved_by = by
    bed.update_deadline = outcome.update_deadline.due
    bed.deadline_estimated = outcome.update_deadline.estimated
    bed.late_update = outcome.late
    bed.end_note = note
    bed.active_elder_id = None
    bed.updated_at = now
    contract = await uow.repo(SqlRepository).latest_contract(bed.id)
    if contract is not None and contract.dissolved_on is None:
        contract.dissolved_on = outcome.contract_dissolved_on
        contract.dissolved_by = by
        contract.dissolution_reason = outcome.reason.value
    if was_established and contract is not None:
        await emit_bed_event(uow, bed, contract, name, now=now)
