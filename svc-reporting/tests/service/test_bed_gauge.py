"""The beds gauge of the ops dashboard (active beds by region and status): counted per county and
status at each run of the delivery job, and a status no bed has any more disappears."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import REGISTRY

from reporting.bootstrap import create_app
from reporting.consumers import handle_bed_event
from reporting.service.delivery import refresh_metrics
from reporting.settings import Settings
from reporting.testing import bed_event

NOW = datetime(2024, 3, 2, 4, 0, tzinfo=UTC)


def beds(region: str, status: str) -> float | None:
    return REGISTRY.get_sample_value("homebed_beds", {"region_code": region, "status": status})


async def test_beds_by_county_and_status(tmp_path: Path) -> None:
    app = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db",
            kafka_enabled=False,
            push_enabled=False,
        )
    )
    runtime = app.state.runtime
    await runtime.start()
    try:
        async with runtime.uow() as uow:
            await handle_bed_event(uow, bed_event("b1", "prov-a", "330110"))
            await handle_bed_event(uow, bed_event("b2", "prov-a", "330110001001"))
            await handle_bed_event(uow, bed_event("b3", "prov-b", "341802"))
            await uow.commit()
        await refresh_metrics(uow=runtime.uow(), now=NOW)
        assert beds("330110", "established") == 2  # a village code counts in its county
        assert beds("341802", "established") == 1
        async with runtime.uow() as uow:
            await handle_bed_event(uow, bed_event("b3", "prov-b", "341802", status="suspended"))
            await uow.commit()
        await refresh_metrics(uow=runtime.uow(), now=NOW)
        assert beds("341802", "suspended") == 1
        assert beds("341802", "established") is None
    finally:
        await runtime.stop()
