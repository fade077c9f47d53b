"""The internal read svc-referral's archive package takes from iot-ingest ("床随人走", 000 §三(五)):
a bed's latest vitals, daily summaries and recent alarms, only what is asked for, only for the
service principal (role ops + scope referral_archive)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from iot_ingest.tables import alarms, latest_values, minute_aggregates
from iot_ingest.testing import Iot

ROUTE = "/internal/v1/referral-archive/beds"


def as_principal(**claims: Any) -> dict[str, str]:
    return {PRINCIPAL_HEADER: mint_internal_token(Principal(**claims), DEV_INTERNAL_TOKEN_KEY)}


async def test_vitals_and_alarms_of_one_bed(iot: Iot) -> None:
    bed = await iot.add_bed("bed-a")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    async with iot.runtime.uow() as uow:
        await uow.session.execute(
            insert(latest_values).values(
                device_id="d1", metric="heart_rate", bed_id=bed, value=72.0, ts=now, seq=1
            )
        )
        for minutes, (count, total, low, high) in (
            (5, (2, 140.0, 68.0, 72.0)),
            (3, (1, 80.0, 80.0, 80.0)),
        ):
            await uow.session.execute(
                insert(minute_aggregates).values(
                    bed_id=bed,
                    metric="heart_rate",
                    minute=now - timedelta(minutes=minutes),
                    count=count,
                    total=total,
                    minimum=low,
                    maximum=high,
                )
            )
        for alarm_id, age in (("al-1", timedelta(days=2)), ("al-old", timedelta(days=60))):
            await uow.session.execute(
                insert(alarms).values(
                    alarm_id=alarm_id,
                    bed_id=bed,
                    provider_id="p1",
                    alarm_type="fall",
                    severity="critical",
                    status="resolved",
                    count=1,
                    raised_at=now - age,
                    arrival_deadline=now - age + timedelta(minutes=15),
                    escalated_levels=[],
                    sla_breached=False,
                )
            )
        await uow.commit()
    service = as_principal(sub="svc-referral", role=Role.OPS, scopes=("referral_archive",))
    both = await iot.client.get(
        f"{ROUTE}/{bed}", params={"categories": "vitals,alarms"}, headers=service
    )
    assert both.status_code == 200, both.text
    body = both.json()
    assert body["latest_vitals"] == [
        {"metric": "heart_rate", "value": 72.0, "at": now.isoformat().replace("+00:00", "Z")}
    ]
    assert sum(d["count"] for d in body["daily_vitals"]) == 3
    assert [a["alarm_id"] for a in body["alarms"]] == ["al-1"]  # 30 days back by default
    vitals_only = await iot.client.get(
        f"{ROUTE}/{bed}", params={"categories": "vitals"}, headers=service
    )
    assert vitals_only.json()["alarms"] is None
    no_scope = as_principal(sub="svc-x", role=Role.OPS)
    refused = await iot.client.get(
        f"{ROUTE}/{bed}", params={"categories": "vitals"}, headers=no_scope
    )
    assert refused.status_code == 403
    admin = as_principal(sub="a", role=Role.PROVIDER_ADMIN, provider_id="p1")
    refused = await iot.client.get(f"{ROUTE}/{bed}", params={"categories": "vitals"}, headers=admin)
    assert refused.status_code == 403
