"""Test helpers of svc-referral: settings, principals, intake bed events fed as the consumer
runner applies them, the outbox read back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI
from sqlalchemy import select

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from referral.consumers import handle_bed_event
from referral.settings import Settings
from referral.tables import CHASSIS_TABLES

PROVIDER = "prov-a"
OTHER_PROVIDER = "prov-b"
NURSING_HOME = "nh-west"  # a nursing home is a provider organisation on the platform
HOSPITAL = "hosp-1"  # a partner hospital: its partner id
BED = "bed-1"
ELDER = "elder-bed-1"
REGION = "330102"
JURISDICTION = "330100"


def referral_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_enabled": False,
        "auto_migrate": True,
        "log_json": False,
        "webhooks_enabled": False,
        "sweep_seconds": 3600,
        **overrides,
    }
    return Settings.model_validate(values)


def admin(provider: str = PROVIDER) -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, f"admin-{provider}", provider_id=provider)


def hospital(partner: str = HOSPITAL, regions: tuple[str, ...] = ()) -> dict[str, str]:
    return principal_headers(Role.HOSPITAL, partner, regions=regions)


def officer(region: str = "330100") -> dict[str, str]:
    return principal_headers(Role.OFFICER, "officer-1", regions=(region,))


def family(sub: str = "family-1") -> dict[str, str]:
    return principal_headers(Role.FAMILY, sub)


def bed_event(
    *,
    bed_id: str = BED,
    provider_id: str = PROVIDER,
    status: str = "in_service",
    region_code: str = REGION,
    jurisdiction: str = JURISDICTION,
    applicant_sub: str | None = "family-1",
    occurred_at: datetime | None = None,
    type_: str = "bed.established",
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
        "contract_start": "2026-05-20",
        "contract_end": "2026-12-31",
        "applicant_sub": applicant_sub,
        "occurred_at": (occurred_at or datetime(2026, 6, 1, tzinfo=UTC)).isoformat(),
    }
    return Envelope(type=type_, source="svc-intake", subject=bed_id, data=data)


async def feed(app: FastAPI, envelope: Envelope) -> None:
    """Apply an intake bed event the way the consumer runner does (handler, then commit)."""
    uow = app.state.runtime.uow()
    async with uow:
        await handle_bed_event(uow, envelope)
        await uow.commit()


async def outbox(app: FastAPI, event_type: str | None = None) -> list[dict[str, Any]]:
    """The staged events (envelopes as dicts), oldest first."""
    table = CHASSIS_TABLES.outbox
    query = select(table.c.payload).order_by(table.c.id)
    if event_type is not None:
        query = query.where(table.c.event_type == event_type)
    async with app.state.runtime.uow() as uow:
        rows = await uow.session.execute(query)
        return [orjson.loads(r[0]) for r in rows]
