"""Internal read for svc-reporting: a provider's verified visits of one day with the worker's
name and the reporting categories (000 附件1 服务详情: 服务对象, 服务人员, 服务项目, 开始/结束时间)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Output
from chassis.errors import Forbidden
from chassis.principal import Role
from service_records.policies.loader import load_profile
from service_records.service.visit_records import categories
from service_records.tables import RosterBedRow, VisitRow, WorkerRow

SCOPE = "city_report"


class ReportVisit(Output):
    visit_id: str
    bed_id: str
    worker_name: str
    mode: str
    categories: list[str]
    start: datetime
    end: datetime


class CityReportVisits(Output):
    provider_id: str
    day: date
    visits: list[ReportVisit]


class CityReportVisitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def verified(
        self, provider_id: str, day: date
    ) -> list[tuple[VisitRow, WorkerRow, RosterBedRow]]:
        query = (
            select(VisitRow, WorkerRow, RosterBedRow)
            .join(WorkerRow, WorkerRow.id == VisitRow.worker_id)
            .join(RosterBedRow, RosterBedRow.bed_id == VisitRow.bed_id)
            .where(VisitRow.provider_id == provider_id, VisitRow.service_date == day)
            .where(VisitRow.status == "verified", VisitRow.check_out_at.is_not(None))
            .order_by(VisitRow.check_in_at, VisitRow.id)
        )
        return [(v, w, b) for v, w, b in (await self.session.execute(query)).all()]


async def visits_for_city_report(
    *, uow: UnitOfWork, ctx: RequestContext, provider_id: str, day: date
) -> CityReportVisits:
    """Verified visits whose Shanghai service date is `day`."""
    async with uow:
        require_role(ctx.principal, Role.OPS)
        if not ctx.principal.has_scope(SCOPE):
            raise Forbidden(f"needs the {SCOPE} scope", required_roles=[Role.OPS.value])
        rows = await uow.repo(CityReportVisitRepository).verified(provider_id, day)
        answer = []
        for visit, worker, bed in rows:
            profile = load_profile(bed.jurisdiction)
            assert visit.check_out_at is not None
            answer.append(
                ReportVisit(
                    visit_id=visit.id,
                    bed_id=visit.bed_id,
                    worker_name=worker.name,
                    mode=visit.mode,
                    categories=categories(profile, visit.items),
                    start=visit.check_in_at,
                    end=visit.check_out_at,
                )
            )
        return CityReportVisits(provider_id=provider_id, day=day, visits=answer)
