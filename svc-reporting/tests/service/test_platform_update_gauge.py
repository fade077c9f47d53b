"""The platform update of a bed's end (001 §四(六), "在 5 个工作日内对所在地区养老服务平台相关信息
进行变更"): an end past its deadline that no report taken by the city platform carries yet counts
in `homebed_bed_updates_overdue{provider_id,region_code}`, judged on the injected clock's day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from prometheus_client import REGISTRY

from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.envelope import Envelope
from reporting.bootstrap import create_app
from reporting.consumers import handle_bed_event
from reporting.domain.delivery import BatchKind, BatchStatus
from reporting.domain.platform_update import RecordedEnd, update_overdue
from reporting.service.delivery import new_batch, refresh_metrics
from reporting.settings import Settings
from reporting.testing import bed_event

ENDED_ON = date(2024, 3, 4)  # a Monday
DEADLINE = date(2024, 3, 11)  # 5 working days later (intake computes it)
RECORDED = datetime(2024, 3, 5, 2, 0, tzinfo=UTC)


def overdue(provider_id: str, region: str) -> float | None:
    return REGISTRY.get_sample_value(
        "homebed_bed_updates_overdue", {"provider_id": provider_id, "region_code": region}
    )


def ended(bed_id: str, provider_id: str, region: str, *, at: datetime = RECORDED) -> Envelope:
    event = bed_event(bed_id, provider_id, region, status="terminated")
    data = dict(event.data)
    data.update(
        event_date=ENDED_ON.isoformat(),
        contract_dissolved_on=ENDED_ON.isoformat(),
        update_deadline=DEADLINE.isoformat(),
        reason="death",
        occurred_at=at.isoformat(),
    )
    return event.model_copy(update={"data": data})


def taken(provider_id: str, batch_id: str, sent_at: datetime, kind: BatchKind) -> object:
    row = new_batch(
        provider_id=provider_id, day=ENDED_ON, kind=kind, now=sent_at, batch_id=batch_id
    )
    row.status = BatchStatus.ACKNOWLEDGED.value
    row.sent_at = sent_at
    row.acknowledged_at = sent_at
    return row


def test_the_rule_is_the_seeds() -> None:
    assert quoted_in_seed("001", "在 5 个工作日内对所在地区养老服务平台相关信息进")


def test_the_deadline_day_is_still_on_time() -> None:
    end = RecordedEnd("prov-a", ENDED_ON, RECORDED, DEADLINE)
    assert not update_overdue(end, taken_at=(), today=DEADLINE)
    assert update_overdue(end, taken_at=(), today=date(2024, 3, 12))
    # a report of the day sent before the end was recorded does not carry it
    assert update_overdue(
        end, taken_at=[datetime(2024, 3, 4, 17, tzinfo=UTC)], today=date(2024, 3, 12)
    )
    assert not update_overdue(end, taken_at=[RECORDED], today=date(2024, 3, 12))


async def test_overdue_ends_by_provider_and_county(tmp_path: Path) -> None:
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
            await handle_bed_event(uow, bed_event("b2", "prov-a", "330110"))
            await handle_bed_event(uow, bed_event("b3", "prov-b", "341802"))
            await uow.commit()
        async with runtime.uow() as uow:
            await handle_bed_event(uow, ended("b1", "prov-a", "330110"))
            await handle_bed_event(uow, ended("b3", "prov-b", "341802"))
            # prov-a's day went before the end was recorded; prov-b's after: it carries the end
            uow.session.add(
                taken("prov-a", "orig-a", datetime(2024, 3, 4, 17, tzinfo=UTC), BatchKind.ORIGINAL)
            )
            uow.session.add(
                taken("prov-b", "orig-b", datetime(2024, 3, 5, 17, tzinfo=UTC), BatchKind.ORIGINAL)
            )
            await uow.commit()

        await refresh_metrics(uow=runtime.uow(), now=datetime(2024, 3, 11, 15, tzinfo=UTC))
        assert overdue("prov-a", "330110") == 0  # 23:00 in Shanghai on the deadline day
        assert overdue("prov-b", "341802") == 0

        await refresh_metrics(uow=runtime.uow(), now=datetime(2024, 3, 11, 16, tzinfo=UTC))
        assert overdue("prov-a", "330110") == 1  # the day after the deadline in Shanghai
        assert overdue("prov-b", "341802") == 0

        async with runtime.uow() as uow:  # the same end announced again keeps its recording
            await handle_bed_event(
                uow, ended("b1", "prov-a", "330110", at=datetime(2024, 3, 12, 1, tzinfo=UTC))
            )
            await uow.commit()
        async with runtime.uow() as uow:  # the correction the late recording queued is taken
            uow.session.add(
                taken(
                    "prov-a", "corr-a", datetime(2024, 3, 12, 5, tzinfo=UTC), BatchKind.CORRECTION
                )
            )
            await uow.commit()
        await refresh_metrics(uow=runtime.uow(), now=datetime(2024, 3, 12, 6, tzinfo=UTC))
        assert overdue("prov-a", "330110") == 0
    finally:
        await runtime.stop()
