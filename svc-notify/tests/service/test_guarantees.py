"""The guarantees of issue 16: an SMS channel failing then recovering loses and duplicates
nothing; quiet hours hold everything but safety events; a flood becomes one digest per person
while every fall goes out individually at once; a failed channel falls back to the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chassis.clock import ManualClock
from chassis.principal import Role
from notify.sms_stub import StubState
from notify.testing import (
    ALARMS,
    DEVICES,
    Notify,
    admin,
    alarm_envelope,
    offline_envelope,
    ops,
    staff_with_schedules,
)


async def _deliveries(notify: Notify, status: str | None = None) -> list[dict[str, object]]:
    params = {"limit": 100} | ({"status": status} if status else {})
    answer = await notify.client.get("/v1/notification-deliveries", params=params, headers=ops())
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


async def test_sms_down_then_up_no_loss_no_duplicate(
    notify: Notify, clock: ManualClock, stub: StubState
) -> None:
    await notify.put_recipient(
        "dm-9",
        {
            "kind": "duty_manager",
            "display_name": "值班 赵",
            "roles": ["duty_manager"],
            "channels": ["sms"],
            "phone": "+86 139-0000-0009",
        },
    )
    stub.failing = True
    event = offline_envelope("dev-1", bed_id="bed-1", at=clock())
    assert await notify.feed(DEVICES, event) == 1
    await notify.dispatch()
    await notify.dispatch()  # not due again yet: backoff
    [pending] = await _deliveries(notify)
    assert (pending["status"], len(pending["attempts"])) == ("pending", 1)  # type: ignore[arg-type]
    assert stub.refused == 1
    assert stub.messages == []
    clock.advance(timedelta(seconds=30))
    await notify.dispatch()
    assert stub.refused == 2
    stub.failing = False  # the provider recovers
    assert await notify.feed(DEVICES, event) == 0  # the event redelivered meanwhile: no second one
    clock.advance(timedelta(seconds=60))
    await notify.dispatch()
    [sent] = await _deliveries(notify)
    assert sent["status"] == "sent"
    assert sent["channel_used"] == "sms"
    assert [a["ok"] for a in sent["attempts"]] == [False, False, True]  # type: ignore[union-attr]
    assert len(stub.messages) == 1
    assert stub.messages[0]["to"] == "13900000009"
    clock.advance(timedelta(hours=1))
    await notify.dispatch()
    assert len(stub.messages) == 1


async def test_a_channel_down_for_good_is_visible_as_failed(
    notify: Notify, clock: ManualClock, stub: StubState
) -> None:
    await notify.put_recipient(
        "dm-9",
        {
            "kind": "duty_manager",
            "display_name": "值班 赵",
            "roles": ["duty_manager"],
            "channels": ["sms"],
            "phone": "13900000009",
        },
    )
    stub.failing = True
    await notify.feed(DEVICES, offline_envelope("dev-1", bed_id="bed-1", at=clock()))
    for _ in range(6):
        await notify.dispatch()
        clock.advance(timedelta(minutes=10))
    [failed] = await _deliveries(notify, "failed")
    assert len(failed["attempts"]) == 5  # type: ignore[arg-type]
    assert "503" in str(failed["last_error"])


async def test_failed_channel_falls_back_to_the_next(
    notify: Notify, clock: ManualClock, stub: StubState
) -> None:
    await notify.put_recipient(
        "dm-9",
        {
            "kind": "duty_manager",
            "display_name": "值班 赵",
            "roles": ["duty_manager"],
            "channels": ["sms", "in_app"],
            "phone": "13900000009",
        },
    )
    stub.failing = True
    await notify.feed(DEVICES, offline_envelope("dev-1", bed_id="bed-1", at=clock()))
    await notify.dispatch()
    [sent] = await _deliveries(notify)
    assert (sent["status"], sent["channel_used"]) == ("sent", "in_app")
    assert [(a["channel"], a["ok"]) for a in sent["attempts"]] == [("sms", False), ("in_app", True)]  # type: ignore[union-attr]
    assert (await notify.inbox("dm-9", Role.PROVIDER_ADMIN))["unread"] == 1


async def test_quiet_hours_hold_all_but_safety_events(notify: Notify, clock: ManualClock) -> None:
    await staff_with_schedules(notify, clock)
    await notify.put_recipient(
        "cg-1",
        {
            "kind": "worker",
            "display_name": "cg-1",
            "roles": ["caregiver", "duty_manager"],
            "channels": ["in_app"],
            "quiet_hours": {"start": "22:00", "end": "07:00"},
        },
    )
    for role in ("caregiver", "duty_manager"):  # cg-1 holds both all day
        answer = await notify.client.put(
            f"/v1/on-call-schedules/{role}",
            json={"members": ["cg-1"], "starts_at": "2026-03-01T00:00:00Z", "shift_hours": 24},
            headers=admin(),
        )
        assert answer.status_code == 200, answer.text
    clock.set(datetime(2026, 3, 2, 15, 30, tzinfo=UTC))  # 23:30 in Shanghai
    await notify.feed(DEVICES, offline_envelope("dev-1", bed_id="bed-1", at=clock()))
    raised = alarm_envelope(
        "alarm.raised", alarm_id="al-q", bed_id="bed-1", raised_at=clock(), at=clock()
    )
    await notify.feed(ALARMS, raised)
    await notify.dispatch()
    [fall] = (await notify.inbox("cg-1"))["items"]
    assert fall["safety"] is True
    assert "跌倒" in fall["title"]
    clock.set(datetime(2026, 3, 2, 22, 59, tzinfo=UTC))  # 06:59
    await notify.dispatch()
    assert (await notify.inbox("cg-1"))["total"] == 1
    clock.set(datetime(2026, 3, 2, 23, 0, tzinfo=UTC))  # 07:00: quiet hours over
    await notify.dispatch()
    titles = [i["title"] for i in (await notify.inbox("cg-1"))["items"]]
    assert titles[0] == "【设备离线】"
    assert len(titles) == 2


async def test_flood_is_one_digest_while_each_fall_goes_out_at_once(
    notify: Notify, clock: ManualClock
) -> None:
    await staff_with_schedules(notify, clock)
    await notify.put_recipient(
        "dm-1",
        {
            "kind": "duty_manager",
            "display_name": "dm-1",
            "roles": ["duty_manager"],
            "channels": ["in_app"],
        },
    )
    for n in range(500):  # a district-wide power cut
        await notify.feed(DEVICES, offline_envelope(f"dev-{n}", bed_id=f"bed-{n}", at=clock()))
        if n == 250:
            raised = alarm_envelope(
                "alarm.raised", alarm_id="al-f", bed_id="bed-9", raised_at=clock(), at=clock()
            )
            await notify.feed(ALARMS, raised)
            await notify.feed(
                ALARMS,
                alarm_envelope(
                    "alarm.escalated",
                    alarm_id="al-f",
                    bed_id="bed-9",
                    raised_at=raised.time,
                    at=clock(),
                    escalation_level=1,
                    escalation_target="duty_manager",
                ),
            )
    await notify.dispatch()
    inbox = await notify.inbox("dm-1", Role.PROVIDER_ADMIN)
    titles = [i["title"] for i in inbox["items"]]
    assert inbox["total"] == 4  # 3 individually, then held; the fall's escalation at once
    assert sum("跌倒" in t for t in titles) == 1
    clock.advance(timedelta(seconds=60))
    await notify.dispatch()
    inbox = await notify.inbox("dm-1", Role.PROVIDER_ADMIN)
    assert inbox["total"] == 5
    digest = inbox["items"][0]
    assert digest["title"] == "【汇总通知】497 条"
    digested = await _deliveries_all(notify, "digested")
    assert digested == 497


async def _deliveries_all(notify: Notify, status: str) -> int:
    answer = await notify.client.get(
        "/v1/notification-deliveries", params={"status": status, "limit": 1}, headers=ops()
    )
    total: int = answer.json()["total"]
    return total
