"""The settlement events on subsidy.settlements.v1, staged in the outbox with the change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from chassis.db import OutgoingEvent, UnitOfWork
from homebed_schemas.events.subsidy import SettlementEvent, SettlementReversed
from homebed_schemas.topics import SUBSIDY_SETTLEMENTS
from subsidy.domain.settlement import SettledLine
from subsidy.tables import SettlementRow


def by_kind(lines: Sequence[SettledLine]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for settled in lines:
        totals[settled.line.kind] += settled.line.amount_fen
    return dict(sorted(totals.items()))


def settlement_event(
    row: SettlementRow,
    name: str,
    by_kind_fen: dict[str, int],
    *,
    now: datetime,
    transfer_id: str | None = None,
) -> OutgoingEvent:
    """settlement.<name> of a settlement, keyed by its provider (order per provider)."""
    return OutgoingEvent(
        topic=SUBSIDY_SETTLEMENTS.name,
        key=row.provider_id,
        type_=f"settlement.{name}",
        subject=row.id,
        data=SettlementEvent(
            settlement_id=row.id,
            provider_id=row.provider_id,
            jurisdiction=row.jurisdiction,
            period=row.period,
            status=row.status,
            policy_version=row.policy_version,
            run_no=row.run_no,
            lines_digest=row.lines_digest,
            line_count=row.line_count,
            total_fen=row.total_fen,
            by_kind_fen=dict(sorted(by_kind_fen.items())),
            submitted_by=row.submitted_by,
            approved_by=row.approved_by,
            ledger_transfer_id=transfer_id,
            payment_reference=row.payment_reference,
            occurred_at=now,
        ),
    )


async def emit_settlements(uow: UnitOfWork, events: Sequence[OutgoingEvent]) -> None:
    """A step's events, one per settlement, staged in the outbox together (one statement)."""
    await uow.emit_many(events)


async def emit_reversed(uow: UnitOfWork, payload: SettlementReversed) -> None:
    await uow.emit(
        topic=SUBSIDY_SETTLEMENTS.name,
        key=payload.provider_id,
        type_="settlement.reversed",
        subject=payload.settlement_id,
        data=payload,
    )
