"""Sources besides alarms, mapped by rules (data): a missed service minimum (001 §四(三)3),
a referral the receiver rejected, a missed referral deadline, a late T+1 report, a settlement
waiting for approval (001 §四(七)1); each built from its producer's payload model."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from chassis.clock import ManualClock
from chassis.principal import Role
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.referral import (
    OrganisationKind,
    ReferralDeadlineMissed,
    ReferralParty,
    ReferralPath,
    ReferralStatus,
)
from homebed_schemas.events.reporting import CityReportLate
from homebed_schemas.events.subsidy import SettlementEvent
from homebed_schemas.topics import TOPICS_BY_NAME, payload_model
from notify.consumers import topic_handlers
from notify.domain.templates import SHANGHAI
from notify.testing import Notify, bed_envelope, officer, ops, staff_with_schedules


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


def test_every_rule_topic_is_registered_and_subscribed(notify: Notify) -> None:
    handlers = topic_handlers(notify.notifications)
    assert notify.notifications.rules.topics() <= set(TOPICS_BY_NAME)
    assert {
        "iot.alarms.v1",
        "iot.devices.v1",
        "records.visits.v1",
        "intake.beds.v1",
        "referral.referrals.v1",
        "reporting.city_reports.v1",
        "subsidy.settlements.v1",
    } <= set(handlers)


async def _duty_manager_in_app(notify: Notify, clock: ManualClock) -> None:
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


def _deadline_missed(clock: ManualClock, escalate_to: tuple[str, ...]) -> Envelope:
    """svc-referral's event, built from its payload model (the contract notify reads)."""
    payload = ReferralDeadlineMissed(
        referral_id="ref-2",
        path=ReferralPath.NURSING_HOME,
        status=ReferralStatus.RECEIVED,
        bed_id="bed-1",
        elder_id="e-1",
        provider_id="p1",
        requester=ReferralParty(organisation_id="p1", kind=OrganisationKind.HOME_BED_PROVIDER),
        receiver=ReferralParty(organisation_id="nh-1", kind=OrganisationKind.NURSING_HOME),
        occurred_at=clock(),
        step="decide",
        due_at=clock() - timedelta(hours=1),
        escalate_to=escalate_to,
    )
    assert payload_model("referral.referrals.v1", "referral.deadline_missed") is type(payload)
    return Envelope(
        type="referral.deadline_missed",
        source="svc-referral",
        subject="ref-2",
        time=clock(),
        data=payload.model_dump(mode="json"),
    )


async def test_missed_referral_deadline_reaches_the_provider_and_the_officers(
    notify: Notify, clock: ManualClock
) -> None:
    await _duty_manager_in_app(notify, clock)
    await notify.feed("intake.beds.v1", bed_envelope("bed-1", at=clock()))
    event = _deadline_missed(clock, ("requester", "officer"))
    assert await notify.feed("referral.referrals.v1", event) == 2  # dm-1 and the street office
    await notify.dispatch()
    [item] = (await notify.inbox("dm-1", Role.PROVIDER_ADMIN))["items"]
    assert item["title"] == "【转介超时】作出接收决定"
    due = (clock() - timedelta(hours=1)).astimezone(SHANGHAI).strftime("%m-%d %H:%M")
    assert "ref-2" in item["body"]
    assert f"应于 {due} 前完成" in item["body"]
    assert "张**" in item["body"]
    [told] = (await notify.inbox("off-1", Role.OFFICER))["items"]
    assert told["title"] == "【转介超时】作出接收决定"


async def test_missed_referral_deadline_without_officer_stays_with_the_provider(
    notify: Notify, clock: ManualClock
) -> None:
    await _duty_manager_in_app(notify, clock)
    await notify.feed("intake.beds.v1", bed_envelope("bed-1", at=clock()))
    event = _deadline_missed(clock, ("requester", "receiver"))
    assert await notify.feed("referral.referrals.v1", event) == 1
    await notify.dispatch()
    assert (await notify.inbox("off-1", Role.OFFICER))["items"] == []


async def test_late_city_report_reaches_the_duty_manager(
    notify: Notify, clock: ManualClock
) -> None:
    await _duty_manager_in_app(notify, clock)
    payload = CityReportLate(
        provider_id="p1",
        report_date=date(2026, 3, 1),
        batch_id="b-1",
        deadline=datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
        status="failed",
        attempts=4,
        last_error="http_503",
        occurred_at=clock(),
    )
    event = Envelope(
        type="city_report.late",
        source="svc-reporting",
        subject="b-1",
        time=clock(),
        data=payload.model_dump(mode="json"),
    )
    assert await notify.feed("reporting.city_reports.v1", event) == 1
    await notify.dispatch()
    [item] = (await notify.inbox("dm-1", Role.PROVIDER_ADMIN))["items"]
    assert item["title"] == "【T+1 报送延迟】2026-03-01"
    assert "03-03 00:00" in item["body"]  # 24:00 of T+1 in Shanghai
    assert "发送失败，已尝试 4 次" in item["body"]


def _settlement_submitted(clock: ManualClock, jurisdiction: str = "330102") -> Envelope:
    """svc-subsidy's event at submission, built from its payload model."""
    payload = SettlementEvent(
        settlement_id="stl-p1-2026-02",
        provider_id="p1",
        jurisdiction=jurisdiction,
        period="2026-02",
        status="submitted",
        policy_version="341800-v3",
        run_no=2,
        lines_digest="0" * 64,
        line_count=14,
        total_fen=2_105_050,
        by_kind_fen={"construction": 1_500_000, "low_income_service": 605_050},
        submitted_by="admin-a",
        ledger_transfer_id="stl-p1-2026-02:s1",
        occurred_at=clock(),
    )
    assert payload_model("subsidy.settlements.v1", "settlement.submitted") is type(payload)
    return Envelope(
        type="settlement.submitted",
        source="svc-subsidy",
        subject=payload.settlement_id,
        time=clock(),
        data=payload.model_dump(mode="json"),
    )


async def test_submitted_settlement_tells_the_officers_of_its_jurisdiction(
    notify: Notify, clock: ManualClock
) -> None:
    """No bed: the officers are those of the settlement's jurisdiction; the provider's staff
    are not told; the record is the region's (its officers read it)."""
    await _duty_manager_in_app(notify, clock)
    await notify.put_recipient(
        "off-2",
        {
            "kind": "officer",
            "display_name": "他区",
            "region_codes": ["330106"],
            "channels": ["in_app"],
        },
        headers=ops(),
    )
    assert await notify.feed("subsidy.settlements.v1", _settlement_submitted(clock)) == 1
    await notify.dispatch()
    [item] = (await notify.inbox("off-1", Role.OFFICER))["items"]
    assert item["title"] == "【结算待审核】2026-02"
    assert item["body"] == (
        "机构 p1 2026-02 的家庭养老床位补贴结算（结算单 stl-p1-2026-02，第 2 次计算，14 条，"
        "合计 21,050.50 元）已由 admin-a 提交，等待审核。请由提交人以外的经办人审核。"
    )
    assert (await notify.inbox("off-2", Role.OFFICER))["items"] == []
    assert (await notify.inbox("dm-1", Role.PROVIDER_ADMIN))["items"] == []
    record = await notify.client.get("/v1/notification-deliveries", headers=officer("330102"))
    assert record.status_code == 200, record.text
    [told] = record.json()["items"]
    assert (told["recipient_id"], told["status"]) == ("off-1", "sent")
    other = await notify.client.get("/v1/notification-deliveries", headers=officer("330106"))
    assert other.json()["items"] == []


async def test_settlement_of_a_region_without_officers_is_visibly_unroutable(
    notify: Notify, clock: ManualClock
) -> None:
    assert await notify.feed("subsidy.settlements.v1", _settlement_submitted(clock, "110101")) == 1
    answer = await notify.client.get("/v1/notification-deliveries?status=unroutable", headers=ops())
    [row] = answer.json()["items"]
    assert "no officer registered for region 110101" in row["last_error"]
