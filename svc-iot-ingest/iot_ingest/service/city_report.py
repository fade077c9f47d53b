"""Internal read for svc-reporting: a provider's installed smart devices per bed (000 附件1
智能化设备), counted by type as they stood at the end of the report day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Output
from chassis.errors import Forbidden
from chassis.principal import Role
from iot_ingest.tables import devices

SCOPE = "city_report"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class BedDeviceCount(Output):
    bed_id: str
    device_type: str
    count: int


class CityReportDevices(Output):
    provider_id: str
    day: date
    devices: list[BedDeviceCount]


class CityReportDeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def installed(self, provider_id: str, until: datetime) -> list[tuple[str, str, int]]:
        query = (
            select(devices.c.bed_id, devices.c.device_type, func.count())
            .where(devices.c.provider_id == provider_id)
            .where(devices.c.status == "active", devices.c.registered_at < until)
            .group_by(devices.c.bed_id, devices.c.device_type)
            .order_by(devices.c.bed_id, devices.c.device_type)
        )
        return [(b, t, int(n)) for b, t, n in (await self.session.execute(query)).all()]


async def devices_for_city_report(
    *, uow: UnitOfWork, ctx: RequestContext, provider_id: str, day: date
) -> CityReportDevices:
    """Active devices registered by the end of `day` (Shanghai), per bed and type."""
    async with uow:
        require_role(ctx.principal, Role.OPS)
        if not ctx.principal.has_scope(SCOPE):
            raise Forbidden(f"needs the {SCOPE} scope", required_roles=[Role.OPS.value])
        until = datetime.combine(day + timedelta(days=1), time(), SHANGHAI)
        rows = await uow.repo(CityReportDeviceRepository).installed(provider_id, until)
        return CityReportDevices(
            provider_id=provider_id,
            day=day,
            devices=[BedDeviceCount(bed_id=b, device_type=t, count=n) for b, t, n in rows],
        )
