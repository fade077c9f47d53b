"""Queries of the changes to a running bed: its referrals, re-assessments, provider changes and
contract history; the contracts the expiry sweep looks at; beds of one provider. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from intake.tables import (
    BedAssessmentRow,
    BedProviderChangeRow,
    BedReferralRow,
    BedRow,
    ContractRow,
)


class BedChangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def referral(self, referral_id: str) -> BedReferralRow | None:
        return await self.session.get(BedReferralRow, referral_id)

    async def referrals_of(self, bed_id: str) -> Sequence[BedReferralRow]:
        rows = await self.session.scalars(
            select(BedReferralRow)
            .where(BedReferralRow.bed_id == bed_id)
            .order_by(BedReferralRow.created_at.desc(), BedReferralRow.referral_id)
        )
        return rows.all()

    async def assessments_of(self, bed_id: str) -> Sequence[BedAssessmentRow]:
        rows = await self.session.scalars(
            select(BedAssessmentRow)
            .where(BedAssessmentRow.bed_id == bed_id)
            .order_by(BedAssessmentRow.recorded_at.desc(), BedAssessmentRow.id)
        )
        return rows.all()

    async def provider_changes_of(self, bed_id: str) -> Sequence[BedProviderChangeRow]:
        rows = await self.session.scalars(
            select(BedProviderChangeRow)
            .where(BedProviderChangeRow.bed_id == bed_id)
            .order_by(BedProviderChangeRow.created_at.desc(), BedProviderChangeRow.id)
        )
        return rows.all()

    async def contracts_of(self, bed_id: str) -> Sequence[ContractRow]:
        rows = await self.session.scalars(
            select(ContractRow)
            .where(ContractRow.bed_id == bed_id)
            .order_by(ContractRow.created_at.desc(), ContractRow.id.desc())
        )
        return rows.all()

    async def latest_contracts_of(self, bed_ids: Sequence[str]) -> dict[str, ContractRow]:
        """The latest contract of each bed that has one."""
        found: dict[str, ContractRow] = {}
        if bed_ids:
            rows = await self.session.scalars(
                select(ContractRow)
                .where(ContractRow.bed_id.in_(bed_ids))
                .order_by(ContractRow.created_at, ContractRow.id)
            )
            for row in rows:
                found[row.bed_id] = row  # ascending: the last one seen is the latest
        return found

    async def contracts_due(
        self, statuses: Sequence[str], *, ending_by: date
    ) -> Sequence[tuple[str, str]]:
        """(bed id, contract id) of beds in `statuses` whose latest contract ends by `ending_by`:
        the candidates of the expiry sweep, soonest first."""
        later = aliased(ContractRow)
        newer_exists = (
            select(later.id)
            .where(
                later.bed_id == ContractRow.bed_id,
                or_(
                    later.created_at > ContractRow.created_at,
                    and_(later.created_at == ContractRow.created_at, later.id > ContractRow.id),
                ),
            )
            .exists()
        )
        rows = await self.session.execute(
            select(BedRow.id, ContractRow.id)
            .join(ContractRow, ContractRow.bed_id == BedRow.id)
            .where(BedRow.status.in_(statuses), ContractRow.end <= ending_by, ~newer_exists)
            .order_by(ContractRow.end, BedRow.id)
        )
        return [(bed_id, contract_id) for bed_id, contract_id in rows]

    async def claim_expiry_notice(self, contract_id: str, on: date) -> bool:
        """Mark the contract noticed; False when someone already did (one notice per contract,
        even with two sweeps running)."""
        result = await self.session.execute(
            update(ContractRow)
            .where(ContractRow.id == contract_id, ContractRow.expiry_notice_on.is_(None))
            .values(expiry_notice_on=on)
            .execution_options(synchronize_session="fetch")
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def beds_of_provider(self, provider_id: str, statuses: Sequence[str]) -> Sequence[BedRow]:
        rows = await self.session.scalars(
            select(BedRow)
            .where(BedRow.provider_id == provider_id, BedRow.status.in_(statuses))
            .order_by(BedRow.created_at, BedRow.id)
        )
        return rows.all()
