"""Stripe idempotency on PostgreSQL: 100 concurrent POSTs with one Idempotency-Key make exactly
one referral, and every caller gets the first answer (status and body)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from chassis.clock import ManualClock
from referral.bootstrap import create_app
from referral.tables import ReferralRow
from referral.testing import BED, NURSING_HOME, admin, bed_event, feed, outbox, referral_settings

pytestmark = pytest.mark.postgres
BODY = {"path": "nursing_home", "bed_id": BED, "receiver": {"organisation_id": NURSING_HOME}}


@pytest.fixture
async def pg_app(postgres_url: str) -> AsyncIterator[FastAPI]:
    clock = ManualClock(datetime(2026, 9, 24, 2, 0, tzinfo=UTC))
    settings = referral_settings(postgres_url)
    application = create_app(settings, clock=clock)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        await feed(application, bed_event())
        yield application


async def test_100_concurrent_posts_with_one_key_make_one_referral(pg_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=pg_app)
    headers = {**admin(), "Idempotency-Key": "same-key-100"}
    async with httpx.AsyncClient(transport=transport, base_url="http://referral") as client:
        answers = await asyncio.gather(
            *(client.post("/v1/referrals", json=BODY, headers=headers) for _ in range(100))
        )
        assert {a.status_code for a in answers} == {201}
        assert len({a.json()["id"] for a in answers}) == 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 99
        other = await client.post(
            "/v1/referrals", json={**BODY, "note": "another body"}, headers=headers
        )
        assert other.status_code == 422
        assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"
    async with pg_app.state.runtime.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ReferralRow)) == 1
    assert len(await outbox(pg_app, "referral.requested")) == 1
