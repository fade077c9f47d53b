"""Test helpers of service records (its tests and the benchmarks): principals, intake bed events
fed the way the consumer runner applies them, a worker registered and assigned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from service_records.consumers import handle_alarm_event, handle_bed_event
from service_records.settings import Settings

PROVIDER = "prov-a"
OTHER_PROVIDER = "prov-b"
BED = "bed-1"
REGION = "341802"


def records_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_enabled": False,
        "auto_migrate": True,
        "log_json": False,
        "close_job_enabled": False,
        "sweep_enabled": False,
        **overrides,
    }
    return Settings.model_validate(values)


def bed_event(
    type_: str = "bed.established",
    *,
    bed_id: str = BED,
    provider_id: str = PROVIDER,
    status: str = "established",
    region_code: str = REGION,
    jurisdiction: str = "341800",
    established_on: date | None = date(2022, 6, 1),
    event_date: date | None = None,
    occurred_at: datetime | None = None,
    reason: str | None = None,
    applicant_sub: str | None = None,
    elder_name_masked: str | None = None,
    address_masked: str | None = None,
    previous_provider_id: str | None = None,
) -> Envelope:
    data = {
        "bed_id": bed_id,
        "application_id": f"app-{bed_id}",
        "elder_id": f"elder-{bed_id}",
        "provider_id": provider_id,
        "jurisdiction": jurisdiction,
        "region_code": region_code,
        "status": status,
        "economic_status": "dibao",
        "package_fee_fen": 50000,
        "contract_start": "2022-05-20",
        "contract_end": "2022-12-31",
        "established_on": established_on.isoformat() if established_on else None,
        "event_date": event_date.isoformat() if event_date else None,
        "reason": reason,
        "applicant_sub": applicant_sub,
        "elder_name_masked": elder_name_masked,
        "address_masked": address_masked,
        "occurred_at": (occurred_at or datetime(2022, 6, 1, 0, 0, tzinfo=UTC)).isoformat(),
    }
    if previous_provider_id is not None:  # bed.provider_changed
        data["previous_provider_id"] = previous_provider_id
    return Envelope(type=type_, source="svc-intake", subject=bed_id, data=data)


async def feed(app: FastAPI, envelope: Envelope) -> None:
    """Apply an intake event the way the consumer runner does (handler, then commit)."""
    uow = app.state.runtime.uow()
    async with uow:
        await handle_bed_event(uow, envelope)
        await uow.commit()


RAISED = datetime(2022, 6, 1, 2, 0, tzinfo=UTC)


def alarm(type_: str = "alarm.resolved", **extra: object) -> Envelope:
    """An `iot.alarms.v1` event of alarm alm-1 at bed-1 (raised 10:00 Shanghai, 1 June 2022)."""
    data = {
        "alarm_id": "alm-1",
        "bed_id": BED,
        "provider_id": "prov-a",
        "alarm_type": "fall",
        "severity": "critical",
        "status": "resolved",
        "count": 1,
        "raised_at": RAISED.isoformat(),
        "arrival_deadline": (RAISED + timedelta(minutes=15)).isoformat(),
        "occurred_at": (RAISED + timedelta(minutes=40)).isoformat(),
        **extra,
    }
    return Envelope(type=type_, source="svc-iot-ingest", subject="alm-1", data=data)


async def feed_alarm(app: FastAPI, envelope: Envelope) -> None:
    """Apply an iot alarm event the way the consumer runner does."""
    uow = app.state.runtime.uow()
    async with uow:
        await handle_alarm_event(uow, envelope)
        await uow.commit()


def admin(provider_id: str = PROVIDER, sub: str = "admin-1") -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, sub, provider_id=provider_id)


def caregiver(sub: str = "cg-1", provider_id: str = PROVIDER) -> dict[str, str]:
    return principal_headers(Role.CAREGIVER, sub, provider_id=provider_id)


def officer(regions: tuple[str, ...] = ("341800",)) -> dict[str, str]:
    return principal_headers(Role.OFFICER, "off-1", regions=regions)


def elder(sub: str = "elder-sub-1") -> dict[str, str]:
    return principal_headers(Role.ELDER, sub)


def family(sub: str = "family-sub-1") -> dict[str, str]:
    return principal_headers(Role.FAMILY, sub)


async def add_worker(
    client: httpx.AsyncClient,
    *,
    sub: str = "cg-1",
    role: str = "caregiver",
    provider_id: str = PROVIDER,
    assign_to: str | None = BED,
) -> str:
    response = await client.post(
        "/v1/workers",
        json={"name": f"worker {sub}", "role": role, "certificates": ["C-1"], "user_sub": sub},
        headers=admin(provider_id),
    )
    assert response.status_code == 201, response.text
    worker_id: str = response.json()["id"]
    if assign_to is not None:
        current = (await client.get(f"/v1/roster/{assign_to}", headers=admin(provider_id))).json()
        response = await client.put(
            f"/v1/roster/{assign_to}/assignees",
            json={"worker_ids": [*current["assignees"], worker_id]},
            headers=admin(provider_id),
        )
        assert response.status_code == 200, response.text
    return worker_id
