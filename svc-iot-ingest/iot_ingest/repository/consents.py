"""The deciding consent record per bed and scope (from intake's bed.consent_* events); never
commits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.upsert import upsert
from homebed_schemas.events.bed_workflows import ConsentDecision, ConsentScope
from iot_ingest.domain.consents import ScopeConsent
from iot_ingest.tables import bed_consents


def _consent_from_row(row: Any) -> ScopeConsent:
    return ScopeConsent(
        bed_id=row.bed_id,
        scope=ConsentScope(row.scope),
        consent_id=row.consent_id,
        decision=ConsentDecision(row.decision),
        given_at=row.given_at,
        recorded_at=row.recorded_at,
        in_force=bool(row.in_force),
        withdrawn_at=row.withdrawn_at,
    )


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_bed(
        self, bed_id: str, scopes: Collection[ConsentScope] | None = None
    ) -> dict[ConsentScope, ScopeConsent]:
        """The deciding record of each scope of the bed that has one."""
        query = select(bed_consents).where(bed_consents.c.bed_id == bed_id)
        if scopes is not None:
            query = query.where(bed_consents.c.scope.in_([s.value for s in scopes]))
        rows = (await self.session.execute(query)).all()
        found = [_consent_from_row(r) for r in rows]
        return {consent.scope: consent for consent in found}

    async def save(self, consent: ScopeConsent) -> None:
        row = {
            "bed_id": consent.bed_id,
            "scope": consent.scope.value,
            "consent_id": consent.consent_id,
            "decision": consent.decision.value,
            "given_at": consent.given_at.astimezone(UTC),
            "recorded_at": consent.recorded_at.astimezone(UTC),
            "in_force": consent.in_force,
            "withdrawn_at": consent.withdrawn_at.astimezone(UTC) if consent.withdrawn_at else None,
        }
        await upsert(self.session, bed_consents, [row], keys=["bed_id", "scope"])
