"""The homebed_referral_* gauges: every path, status and step at 0 from the start; a refresh
counts referrals by status and the open ones past their step's deadline (the deadline sweep's
concern, 000 §三(五) 转介)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from chassis.clock import ManualClock
from referral.service.metrics import refresh_metrics
from referral.testing import BED, NURSING_HOME, admin

NURSING = {"path": "nursing_home", "bed_id": BED, "receiver": {"organisation_id": NURSING_HOME}}


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_every_series_exists_before_the_first_referral(app: FastAPI) -> None:
    for path in ("family_sickbed", "nursing_home", "hospital", "disability_federation", "home_bed"):
        assert sample("homebed_referral_referrals", path=path, status="completed") is not None
        assert sample("homebed_referral_steps_overdue", path=path, step="decide") is not None
    assert sample("homebed_referral_webhook_deliveries", status="dead") is not None


async def test_counts_by_status_and_the_steps_past_their_deadline(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    sent = await client.post("/v1/referrals", json=NURSING, headers=admin())
    assert sent.status_code == 201, sent.text
    await refresh_metrics(uow_factory=app.state.runtime.uow, clock=clock)
    assert sample("homebed_referral_referrals", path="nursing_home", status="requested") == 1
    assert sample("homebed_referral_steps_overdue", path="nursing_home", step="acknowledge") == 0

    clock.advance(timedelta(days=5))  # past the acknowledgement's working days
    await refresh_metrics(uow_factory=app.state.runtime.uow, clock=clock)
    assert sample("homebed_referral_steps_overdue", path="nursing_home", step="acknowledge") == 1

    receiver = admin(NURSING_HOME)
    received = await client.post(
        f"/v1/referrals/{sent.json()['id']}/actions/receive", json={}, headers=receiver
    )
    assert received.status_code == 200, received.text
    await refresh_metrics(uow_factory=app.state.runtime.uow, clock=clock)
    assert sample("homebed_referral_referrals", path="nursing_home", status="requested") == 0
    assert sample("homebed_referral_referrals", path="nursing_home", status="received") == 1
    assert sample("homebed_referral_steps_overdue", path="nursing_home", step="acknowledge") == 0
