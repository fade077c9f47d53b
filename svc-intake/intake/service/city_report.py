"""The internal read svc-reporting uses for the T+1 city report (000 §三(二), 附件1).

It answers a provider's beds as they stood for one day, ID numbers in full: each opened ID is an
audited PII read (`pii_access_log`, purpose `city_report`) in the same transaction, exactly like
the reveal of one number. Only a service principal (role ops with scope `city_report`) may call
it, and the gateway routes no `/internal` path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.errors import Forbidden
from chassis.principal import Role
from intake.policies.loader import load_catalogue
from intake.schemas.city_report import (
    CityReportBeds,
    CityReportQuery,
    ReportAddress,
    ReportAgreement,
    ReportBed,
    ReportInstallation,
)
from intake.service.context import ID_NUMBER, IntakeContext
from intake.tables import (
    ApplicationRow,
    BedRow,
    ContractRow,
    ElderRow,
    InstallationRow,
    PiiAccessRow,
)

SCOPE = "city_report"
ENDED = ("terminated", "transferred")
PER_MONTH = {"day": 30, "week": 4, "month": 1}  # interpretation: a month of 30 days, 4 weeks


class CityReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def beds(
        self, provider_id: str, day: date
    ) -> Sequence[tuple[BedRow, ApplicationRow, ElderRow]]:
        """Beds established by `day` and not ended before it."""
        query = (
            select(BedRow, ApplicationRow, ElderRow)
            .join(ApplicationRow, ApplicationRow.id == BedRow.application_id)
            .join(ElderRow, ElderRow.id == BedRow.elder_id)
            .where(BedRow.provider_id == provider_id)
            .where(BedRow.established_on.is_not(None), BedRow.established_on <= day)
            .where(
                or_(
                    BedRow.status.not_in(ENDED),
                    BedRow.event_date.is_(None),
                    BedRow.event_date >= day,
                )
            )
            .order_by(BedRow.id)
        )
        return [(b, a, e) for b, a, e in (await self.session.execute(query)).all()]

    async def installations(self, bed_id: str) -> Sequence[InstallationRow]:
        query = select(InstallationRow).where(InstallationRow.bed_id == bed_id)
        return (await self.session.scalars(query.order_by(InstallationRow.item_id))).all()

    async def latest_contract(self, bed_id: str) -> ContractRow | None:
        return await self.session.scalar(
            select(ContractRow)
            .where(ContractRow.bed_id == bed_id)
            .order_by(ContractRow.created_at.desc(), ContractRow.id.desc())
            .limit(1)
        )


def agreement_hash(contract: ContractRow) -> str:
    """SHA-256 of the agreement's terms as signed (canonical JSON): the text's fingerprint."""
    terms = {
        "id": contract.id,
        "bed_id": contract.bed_id,
        "start": contract.start.isoformat(),
        "end": contract.end.isoformat(),
        "base_package_fee_fen": contract.base_package_fee_fen,
        "personal_items": contract.personal_items,
        "signed_on": contract.signed_on.isoformat(),
        "signed_by": contract.signed_by,
    }
    canonical = json.dumps(terms, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def monthly_visits(care_plan: list[Any] | None) -> int:
    return sum(int(i["times"]) * PER_MONTH.get(str(i["per"]), 1) for i in care_plan or [])


def _address(form: dict[str, Any], key: str) -> ReportAddress:
    value = form.get(key) or {}
    return ReportAddress(
        region_code=str(value.get("region_code", "")), detail=str(value.get("detail", ""))
    )


async def beds_for_city_report(
    *, uow: UnitOfWork, ctx: IntakeContext, query: CityReportQuery
) -> CityReportBeds:
    """A provider's beds for one report day, ID numbers opened; every opening audited."""
    async with uow:
        require_role(ctx.principal, Role.OPS)
        if not ctx.principal.has_scope(SCOPE):
            raise Forbidden(f"needs the {SCOPE} scope", required_roles=[Role.OPS.value])
        repo = uow.repo(CityReportRepository)
        names = {item.id: item.name for item in load_catalogue().items}
        answer = []
        for bed, application, elder in await repo.beds(query.provider_id, query.day):
            contract = await repo.latest_contract(bed.id)
            installs = await repo.installations(bed.id)
            id_number = ctx.pii.open(elder.id_number_sealed, context=ID_NUMBER)
            repo.add(
                PiiAccessRow(
                    actor_sub=ctx.principal.sub,
                    actor_role=ctx.principal.role.value,
                    actor_provider_id=ctx.principal.provider_id,  # the caller: none
                    elder_id=elder.id,
                    application_id=application.id,
                    field="id_number",
                    purpose=query.purpose,
                    request_id=ctx.request_id,
                    accessed_at=ctx.now,
                )
            )
            ended = bed.status in ENDED
            answer.append(
                ReportBed(
                    bed_id=bed.id,
                    provider_id=bed.provider_id,
                    region_code=bed.region_code,
                    status=bed.status,
                    name=elder.name,
                    id_number=id_number,
                    hukou_address=_address(application.form, "hukou_address"),
                    bed_address=_address(application.form, "current_address"),
                    ability_level=bed.ability_level,
                    economic_status=bed.economic_status,
                    established_on=bed.established_on or query.day,
                    ended_on=bed.event_date if ended else None,
                    end_reason=(bed.end_reason or bed.status) if ended else None,
                    installations=[
                        ReportInstallation(
                            item_id=i.item_id,
                            name=names.get(i.item_id, i.item_id),
                            kind=i.kind,
                            device_type=i.device_type,
                            count=i.count,
                        )
                        for i in installs
                    ],
                    agreement=ReportAgreement(
                        reference=contract.id,
                        text_sha256=agreement_hash(contract),
                        signed_on=contract.signed_on,
                    )
                    if contract
                    else None,
                    monthly_visits=monthly_visits(bed.care_plan),
                    monthly_fee_fen=contract.base_package_fee_fen if contract else None,
                )
            )
        await uow.commit()
        return CityReportBeds(provider_id=query.provider_id, day=query.day, beds=answer)
