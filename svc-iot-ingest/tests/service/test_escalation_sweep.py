"""Issue 16: the escalation sweep takes a page of due alarms per transaction (one UPDATE, one
outbox INSERT, one feed INSERT) instead of one alarm per transaction. Every alarm still takes
each step exactly once (001 §四(三)2: the street office at 15 minutes, the breach just after),
across pages and providers with their own chains; on SQLite and PostgreSQL, on a driven clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.service.escalation import run_escalations
from iot_ingest.settings import Settings
from iot_ingest.tables import alarm_feed, alarms
from iot_ingest.testing import QUIET_LOOPS, Iot, running_iot

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def _falls(iot: Iot, clock: ManualClock, provider_id: str, n: int) -> list[str]:
    made = []
    for _ in range(n):
        device = await iot.add_device(
            await iot.add_bed(provider_id=provider_id), "fall_detector", provider_id=provider_id
        )
        raised = await iot.client.post(
            "/v1/device-events",
            json={"seq": 1, "ts": clock().isoformat(), "kind": "fall_detected"},
            headers={"Authorization": f"Bearer {device['token']}"},
        )
        assert raised.status_code == 201, raised.text
        made.append(raised.json()["alarm_id"])
    return made


async def _night_nurse_after_one_minute(iot: Iot) -> None:
    response = await iot.client.put(
        "/v1/escalation-policy",
        json={
            "steps": [
                {"level": 1, "unmet": "acknowledged", "after_seconds": 60, "notify": "night_nurse"},
                {"level": 2, "unmet": "arrived", "after_seconds": 900, "notify": "street_office"},
            ],
            "reason": "night shift has its own nurse",
        },
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-2", provider_id="p2"),
    )
    assert response.status_code == 200, response.text


def _steps(events: list) -> Counter[tuple[str, str, str | None]]:  # type: ignore[type-arg]
    return Counter(
        (e.subject, e.type, e.data["escalation_target"])
        for e in events
        if e.type in ("alarm.escalated", "alarm.sla_breached")
    )


async def test_a_sweep_pages_through_due_alarms_and_each_takes_each_step_once(
    database_url: str,
) -> None:
    clock = ManualClock(START)
    settings = Settings(database_url=database_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings, clock=clock) as iot:
        await _night_nurse_after_one_minute(iot)
        p1 = await _falls(iot, clock, "p1", 3)  # default chain: duty manager at 2 minutes
        p2 = await _falls(iot, clock, "p2", 2)  # night nurse at 1 minute
        acknowledged = p1[0]
        nurse = principal_headers(Role.CAREGIVER, "nurse-1", provider_id="p1")
        ack = await iot.client.post(f"/v1/alarms/{acknowledged}/acknowledge", headers=nurse)
        assert ack.status_code == 200, ack.text

        sweep = iot.runtime.uow
        assert await run_escalations(uow=sweep(), now=START + timedelta(seconds=59), page=2) == 0
        assert await run_escalations(uow=sweep(), now=START + timedelta(minutes=1), page=2) == 2
        # pages of 2: every due alarm, the acknowledged one left alone
        assert await run_escalations(uow=sweep(), now=START + timedelta(minutes=2), page=2) == 2
        assert await run_escalations(uow=sweep(), now=START + timedelta(minutes=3), page=2) == 0
        # 15:00: the street office for the four nobody reached; 15:00 itself is in time
        assert await run_escalations(uow=sweep(), now=START + timedelta(minutes=15), page=2) == 5
        # just after: the breach, once each; sweeping again changes nothing
        later = START + timedelta(minutes=15, seconds=1)
        assert await run_escalations(uow=sweep(), now=later, page=2) == 5
        assert await run_escalations(uow=sweep(), now=later, page=2) == 0
        assert await run_escalations(uow=sweep(), now=later + timedelta(hours=1), page=2) == 0

        events = await iot.outbox("iot.alarms.v1")
        expected: Counter[tuple[str, str, str | None]] = Counter()
        for alarm_id in p1[1:]:
            expected[(alarm_id, "alarm.escalated", "duty_manager")] += 1
        for alarm_id in p2:
            expected[(alarm_id, "alarm.escalated", "night_nurse")] += 1
        for alarm_id in p1 + p2:
            expected[(alarm_id, "alarm.escalated", "street_office")] += 1
            expected[(alarm_id, "alarm.sla_breached", None)] += 1
        assert _steps(events) == expected  # each exactly once
        assert len({e.id for e in events}) == len(events)

        async with iot.runtime.uow() as uow:
            rows = (await uow.session.execute(select(alarms))).all()
            assert {r.alarm_id: sorted(r.escalated_levels) for r in rows} == {
                **{a: [1, 2] for a in p1[1:] + p2},
                acknowledged: [2],
            }
            assert all(r.sla_breached and r.next_check_at is None for r in rows)
            feed = (await uow.session.execute(select(alarm_feed))).all()
            # the SSE feed carries the same events, once each
            swept = Counter(
                (r.alarm_id, r.event_type)
                for r in feed
                if r.event_type in ("alarm.escalated", "alarm.sla_breached")
            )
            assert swept == Counter((a, t) for a, t, _ in expected.elements())
