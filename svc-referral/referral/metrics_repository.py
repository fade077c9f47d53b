"""Aggregates behind the `homebed_referral_*` gauges: one GROUP BY each; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from referral.tables import ReferralRow, WebhookDeliveryRow


class MetricsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def referral_counts(self) -> list[tuple[str, str, int]]:
        """(path, status, referrals)."""
        rows = await self.session.execute(
            select(ReferralRow.path, ReferralRow.status, func.count()).group_by(
                ReferralRow.path, ReferralRow.status
            )
        )
        return [(p, s, int(n)) for p, s, n in rows.all()]

    async def overdue_counts(
        self, now: datetime, statuses: list[str]
    ) -> list[tuple[str, str, int]]:
        """(path, status, referrals in that status past their step's deadline)."""
        rows = await self.session.execute(
            select(ReferralRow.path, ReferralRow.status, func.count())
            .where(ReferralRow.due_at < now, ReferralRow.status.in_(statuses))
            .group_by(ReferralRow.path, ReferralRow.status)
        )
        return [(p, s, int(n)) for p, s, n in rows.all()]

    async def webhook_counts(self) -> list[tuple[str, int]]:
        rows = await self.session.execute(
            select(WebhookDeliveryRow.status, func.count()).group_by(WebhookDeliveryRow.status)
        )
        return [(s, int(n)) for s, n in rows.all()]
