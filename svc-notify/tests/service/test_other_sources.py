"""Sources besides alarms, mapped by rules (data): a missed service minimum (001 §四(三)3),
a referral the receiver rejected; event types no producer registers yet wait as rules."""

from __future__ import annotations

from chassis.clock import ManualClock
from chassis.principal import Role
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import TOPICS_BY_NAME
from notify.consumers import topic_handlers
from notify.testing import Notify, bed_envelope, staff_with_schedules


async def test_missed_daily_visit_reaches_the_duty_manager(
    notify: Notify, clock: ManualClock
) -> None:
    await staff_with_schedules(notify, clock)
    await notify.put_recipient(
        "dm-1",
        {
            "kind": "duty_manager",
            "display_name": "dm",
            "roles": ["duty_manager"],
            "channels": ["in_app"],
        },
    )
    await notify.feed("intake.beds.v1", bed_envelope("bed-1", at=clock()))
    breached = Envelope(
        type="minimum.breached",
        source="svc-service-records",
        subject="bed-1",
        data={
            "bed_id": "bed-1",
            "provider_id": "p1",
            "elder_id": "e-1",
            "jurisdiction": "330102",
            "rule": "daily_visit",
            "period": "2026-03",
            "day": "2026-03-01",
            "occurred_at": clock().isoformat(),
        },
    )
    assert await notify.feed("records.visits.v1", breached) == 1
    await notify.dispatch()
    [item] = (await notify.inbox("dm-1", Role.PROVIDER_ADMIN))["items"]
    assert item["title"] == "【服务未达标】"
    assert "张**" in item["body"]
    assert "daily_visit" in item["body"]


async def test_rejected_referral_reaches_the_duty_manager(
    notify: Notify, clock: ManualClock
) -> None:
    await notify.put_recipient(
        "dm-1",
        {
            "kind": "duty_manager",
            "display_name": "dm",
            "roles": ["duty_manager"],
            "channels": ["in_app"],
        },
    )
    rejected = Envelope(
        type="referral.rejected",
        source="svc-referral",
        subject="ref-1",
        data={
            "referral_id": "ref-1",
            "provider_id": "p1",
            "status": "rejected",
            "reason": "无床位",
        },
    )
    assert await notify.feed("referral.referrals.v1", rejected) == 1
    await notify.dispatch()
    [item] = (await notify.inbox("dm-1", Role.PROVIDER_ADMIN))["items"]
    assert "无床位" in item["body"]


def test_rules_of_unregistered_topics_wait(notify: Notify) -> None:
    handlers = topic_handlers(notify.notifications)
    assert "reporting.city_reports.v1" not in TOPICS_BY_NAME
    assert "reporting.city_reports.v1" not in handlers
    assert {"iot.alarms.v1", "iot.devices.v1", "records.visits.v1", "intake.beds.v1"} <= set(
        handlers
    )
