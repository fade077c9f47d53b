"""The homebed_subsidy_* gauges: every series exists at 0 from the start, and a refresh shows a
month's settlement as the ops dashboard and the alerts read it (waiting for its checker, its
amounts by kind, then the trial balance once posted)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from chassis.clock import ManualClock
from subsidy.policies.loader import known_jurisdictions, load_all_profiles
from subsidy.service.metrics import refresh_anomaly_metrics, refresh_settlement_metrics
from subsidy.testing import CITY, JULY, admin, bed_event, feed, officer, seed_bed

KINDS = {CITY: ["construction", "low_income_service", "operating"]}


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def refresh(app: FastAPI, clock: ManualClock) -> None:
    await refresh_settlement_metrics(
        uow_factory=app.state.runtime.uow, clock=clock, kinds_by_jurisdiction=KINDS
    )


async def test_every_series_exists_before_the_first_settlement(app: FastAPI) -> None:
    for jurisdiction in known_jurisdictions():
        for status in ("draft", "submitted", "approved", "paid"):
            assert (
                sample("homebed_subsidy_settlements", jurisdiction=jurisdiction, status=status)
                is not None
            )
        assert (
            sample("homebed_subsidy_oldest_submission_age_seconds", jurisdiction=jurisdiction)
            is not None
        )
        assert (
            sample("homebed_subsidy_anomalies", jurisdiction=jurisdiction, kind="two_active_beds")
            == 0
        )
    assert (
        sample(
            "homebed_subsidy_latest_month_fen",
            jurisdiction=CITY,
            kind="construction",
            status="paid",
        )
        is not None
    )
    assert sample("homebed_subsidy_ledger_balanced") is not None


async def test_a_submitted_month_waits_for_its_checker_then_posts_balanced(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await seed_bed(app)
    answer = await client.post("/v1/settlements", json=JULY, headers=admin())
    stl = answer.json()["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    clock.advance(timedelta(days=8))
    await refresh(app, clock)
    assert sample("homebed_subsidy_settlements", jurisdiction=CITY, status="submitted") == 1
    assert sample("homebed_subsidy_settlements", jurisdiction=CITY, status="draft") == 0
    age = sample("homebed_subsidy_oldest_submission_age_seconds", jurisdiction=CITY)
    assert age == timedelta(days=8).total_seconds()
    fen = {
        kind: sample(
            "homebed_subsidy_latest_month_fen", jurisdiction=CITY, kind=kind, status="submitted"
        )
        for kind in KINDS[CITY]
    }
    assert fen == {"construction": 150000, "low_income_service": 60000, "operating": 0}
    assert sample("homebed_subsidy_ledger_debits_fen") == 0  # pending: not posted

    approved = await client.post(f"/v1/settlements/{stl}/approval", headers=officer("officer-2"))
    assert approved.json()["status"] == "approved", approved.text
    await refresh(app, clock)
    assert sample("homebed_subsidy_settlements", jurisdiction=CITY, status="submitted") == 0
    assert sample("homebed_subsidy_settlements", jurisdiction=CITY, status="approved") == 1
    assert sample("homebed_subsidy_oldest_submission_age_seconds", jurisdiction=CITY) == 0
    assert (
        sample(
            "homebed_subsidy_latest_month_fen",
            jurisdiction=CITY,
            kind="construction",
            status="submitted",
        )
        == 0
    )
    assert sample("homebed_subsidy_ledger_debits_fen") == 210000
    assert sample("homebed_subsidy_ledger_credits_fen") == 210000
    assert sample("homebed_subsidy_ledger_balanced") == 1


async def test_anomalies_of_the_latest_month_by_kind(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed_bed(app, "bed-1")
    await feed(app, bed_event(bed_id="bed-2", elder_id="elder-bed-1"))  # one elder, two beds
    await client.post("/v1/settlements", json=JULY, headers=admin())
    await refresh_anomaly_metrics(uow_factory=app.state.runtime.uow, profiles=load_all_profiles())
    assert sample("homebed_subsidy_anomalies", jurisdiction=CITY, kind="two_active_beds") == 1
    assert sample("homebed_subsidy_anomalies", jurisdiction=CITY, kind="suspended_days_paid") == 0
