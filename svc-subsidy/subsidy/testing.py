"""Test helpers of svc-subsidy (its tests and the benchmark): settings and principals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from subsidy.consumers import topic_handlers
from subsidy.settings import Settings

PROVIDER = "prov-a"
OTHER_PROVIDER = "prov-b"
REGION = "341802"
CITY = "341800"


def subsidy_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_enabled": False,
        "auto_migrate": True,
        "log_json": False,
        **overrides,
    }
    return Settings.model_validate(values)


def admin(provider_id: str = PROVIDER, sub: str = "admin-a") -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, sub, provider_id=provider_id)


def officer(sub: str = "officer-1", regions: tuple[str, ...] = (CITY,)) -> dict[str, str]:
    return principal_headers(Role.OFFICER, sub, regions=regions)


BED = "bed-1"
BORN = date(1950, 3, 1)


def bed_event(
    type_: str = "bed.established",
    *,
    bed_id: str = BED,
    elder_id: str | None = None,
    provider_id: str = PROVIDER,
    jurisdiction: str = CITY,
    status: str = "established",
    package_fee_fen: int = 80000,
    contract_start: date = date(2022, 4, 15),
    contract_end: date = date(2023, 4, 14),
    established_on: date | None = date(2022, 4, 15),
    accepted_on: date | None = None,
    event_date: date | None = None,
    occurred_at: datetime | None = None,
    economic_status: str = "dibao",
    ability_level: str = "moderate",
    birth_date: date | None = BORN,
) -> Envelope:
    """An `intake.beds.v1` lifecycle event of a Xuancheng bed (the issue's example bed)."""
    data = {
        "bed_id": bed_id,
        "application_id": f"app-{bed_id}",
        "elder_id": elder_id or f"elder-{bed_id}",
        "provider_id": provider_id,
        "jurisdiction": jurisdiction,
        "region_code": REGION if jurisdiction == CITY else jurisdiction,
        "status": status,
        "ability_level": ability_level,
        "economic_status": economic_status,
        "package_fee_fen": package_fee_fen,
        "contract_start": contract_start.isoformat(),
        "contract_end": contract_end.isoformat(),
        "established_on": established_on.isoformat() if established_on else None,
        "accepted_on": accepted_on.isoformat() if accepted_on else None,
        "event_date": event_date.isoformat() if event_date else None,
        "elder_birth_date": birth_date.isoformat() if birth_date else None,
        "occurred_at": (occurred_at or datetime(2022, 4, 15, 2, tzinfo=UTC)).isoformat(),
    }
    return Envelope(type=type_, source="svc-intake", subject=bed_id, data=data)


def acceptance_event(
    *,
    bed_id: str = BED,
    elder_id: str | None = None,
    provider_id: str = PROVIDER,
    jurisdiction: str = CITY,
    accepted_on: date = date(2022, 5, 20),
    modification_fen: int = 200000,
    devices_fen: int = 160000,
) -> Envelope:
    """`bed.acceptance_approved` with its construction investment list (建设投入清单)."""
    investment = [
        {"category": "modification", "description": "扶手、防滑", "amount_fen": modification_fen},
        {"category": "smart_device", "description": "紧急呼叫", "amount_fen": devices_fen},
    ]
    data = {
        "acceptance_id": f"acc-{bed_id}",
        "bed_id": bed_id,
        "elder_id": elder_id or f"elder-{bed_id}",
        "provider_id": provider_id,
        "jurisdiction": jurisdiction,
        "region_code": REGION if jurisdiction == CITY else jurisdiction,
        "attempt": 1,
        "status": "accepted",
        "contract_id": f"ct-{bed_id}",
        "investment": investment,
        "investment_total_fen": modification_fen + devices_fen,
        "service_period_start": "2022-04-15",
        "service_period_end": "2022-05-14",
        "service_data": [],
        "applied_on": "2022-05-16",
        "accepted_on": accepted_on.isoformat(),
        "occurred_at": datetime.combine(accepted_on, datetime.min.time(), UTC).isoformat(),
    }
    return Envelope(type="bed.acceptance_approved", source="svc-intake", subject=bed_id, data=data)


def visit_event(
    *,
    visit_id: str,
    bed_id: str = BED,
    provider_id: str = PROVIDER,
    service_date: date,
    value_fen: int | None,
    type_: str = "visit.verified",
    version: int = 1,
    mode: str = "on_site",
    seconds: int = 3600,
) -> Envelope:
    start = datetime.combine(service_date, datetime.min.time(), UTC) + timedelta(hours=1)
    data = {
        "visit_id": visit_id,
        "version": version,
        "bed_id": bed_id,
        "provider_id": provider_id,
        "elder_id": f"elder-{bed_id}",
        "worker_id": "w-1",
        "worker_role": "caregiver",
        "mode": mode,
        "status": "voided" if type_ == "visit.voided" else "verified",
        "check_in_at": start.isoformat(),
        "check_out_at": (start + timedelta(seconds=seconds)).isoformat(),
        "service_date": service_date.isoformat(),
        "service_seconds": seconds,
        "value_fen": value_fen,
        "occurred_at": (start + timedelta(seconds=seconds)).isoformat(),
    }
    return Envelope(type=type_, source="svc-service-records", subject=visit_id, data=data)


async def feed(app: FastAPI, envelope: Envelope, topic: str = "intake.beds.v1") -> None:
    """Apply an event the way the consumer runner does (handler, then commit)."""
    runtime = app.state.runtime
    handler = topic_handlers(runtime.clock)[topic]
    uow = runtime.uow()
    async with uow:
        await handler(uow, envelope)
        await uow.commit()


JULY = {"provider_id": PROVIDER, "jurisdiction": CITY, "period": "2022-07"}


async def seed_bed(app: FastAPI, bed_id: str = BED) -> None:
    """The issue's example bed: established 2022-04-15, accepted 2022-05-20 with 3600 yuan of
    investment (2000 of it home modification), dibao, moderate, 800 yuan a month."""
    await feed(app, bed_event(bed_id=bed_id))
    await feed(app, acceptance_event(bed_id=bed_id))
    await feed(
        app,
        bed_event(
            "bed.accepted",
            bed_id=bed_id,
            status="accepted",
            accepted_on=date(2022, 5, 20),
            occurred_at=datetime(2022, 5, 20, 2, tzinfo=UTC),
        ),
    )
