"""Queries, one class per aggregate; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.tables import (
    BedRow,
    ConsentRow,
    DisclosureRow,
    IdempotencyRow,
    ReferralHistoryRow,
    ReferralRow,
)


class ReferralRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, referral_id: str) -> ReferralRow | None:
        return await self.session.get(ReferralRow, referral_id)

    def add(self, row: ReferralRow | ReferralHistoryRow) -> None:
        self.session.add(row)

    async def page(
        self,
        where: Sequence[ColumnElement[bool]],
        *,
        limit: int,
        offset: int,
    ) -> tuple[list[ReferralRow], int]:
        total = await self.session.scalar(
            select(func.count()).select_from(ReferralRow).where(*where)
        )
        rows = await self.session.scalars(
            select(ReferralRow)
            .where(*where)
            .order_by(ReferralRow.updated_at.desc(), ReferralRow.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), int(total or 0)

    async def overdue(self, now: datetime, *, limit: int = 200) -> list[ReferralRow]:
        rows = await self.session.scalars(
            select(ReferralRow)
            .where(ReferralRow.due_at < now, ReferralRow.escalated_at.is_(None))
            .order_by(ReferralRow.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def history(self, referral_id: str) -> list[ReferralHistoryRow]:
        rows = await self.session.scalars(
            select(ReferralHistoryRow)
            .where(ReferralHistoryRow.referral_id == referral_id)
            .order_by(ReferralHistoryRow.id)
        )
        return list(rows)

    async def beds_of_applicant(self, sub: str) -> list[str]:
        return list(
            await self.session.scalars(select(BedRow.bed_id).where(BedRow.applicant_sub == sub))
        )


def any_of(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


class BedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, bed_id: str) -> BedRow | None:
        return await self.session.get(BedRow, bed_id)

    def add(self, row: BedRow) -> None:
        self.session.add(row)


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, consent_id: str) -> ConsentRow | None:
        return await self.session.get(ConsentRow, consent_id)

    def add(self, row: ConsentRow | DisclosureRow) -> None:
        self.session.add(row)

    async def of_elder(self, elder_id: str) -> list[ConsentRow]:
        rows = await self.session.scalars(
            select(ConsentRow)
            .where(ConsentRow.elder_id == elder_id)
            .order_by(ConsentRow.created_at)
        )
        return list(rows)

    async def disclosures(
        self, elder_id: str, *, limit: int, offset: int
    ) -> tuple[list[DisclosureRow], int]:
        where = DisclosureRow.elder_id == elder_id
        total = await self.session.scalar(
            select(func.count()).select_from(DisclosureRow).where(where)
        )
        rows = await self.session.scalars(
            select(DisclosureRow)
            .where(where)
            .order_by(DisclosureRow.at.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows), int(total or 0)


class IdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, scope: str, key: str) -> IdempotencyRow | None:
        return await self.session.get(IdempotencyRow, (scope, key))

    async def claim(self, row: IdempotencyRow) -> None:
        """Insert the key; a concurrent holder makes the flush wait, then fail (IntegrityError)."""
        self.session.add(row)
        await self.session.flush()
