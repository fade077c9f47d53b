"""Reconciliation (settlements vs ledger vs payments), the anomalies of a period, and the
statements as CSV and printable PDF (issue 14 item 5)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from fastapi import FastAPI

from subsidy.testing import (
    JULY,
    OTHER_PROVIDER,
    admin,
    bed_event,
    feed,
    officer,
    seed_bed,
)

RECONCILE = "/v1/subsidy-reports/reconciliation?jurisdiction=341800&period=2022-07"


async def settle(client: httpx.AsyncClient, body: dict[str, str], maker: dict[str, str]) -> str:
    stl = (await client.post("/v1/settlements", json=body, headers=maker)).json()["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=maker)
    approved = await client.post(f"/v1/settlements/{stl}/approval", headers=officer("checker"))
    assert approved.status_code == 200, approved.text
    return str(stl)


async def test_reconciliation_after_payment(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed_bed(app)
    stl = await settle(client, JULY, admin())
    report = (await client.get(RECONCILE, headers=officer())).json()
    assert report["settlements"] == [
        {
            "settlement_id": stl,
            "provider_id": "prov-a",
            "status": "approved",
            "lines_total_fen": 210000,
            "posted_fen": 210000,
            "paid_fen": 0,
            "clawed_back_fen": 0,
            "consistent": True,
        }
    ]
    await client.post(
        f"/v1/settlements/{stl}/payment-confirmation",
        json={"payment_reference": "B-1", "amount_fen": 210000},
        headers=officer(),
    )
    paid = (await client.get(RECONCILE, headers=officer())).json()["settlements"][0]
    assert (paid["status"], paid["paid_fen"], paid["consistent"]) == ("paid", 210000, True)
    other = admin(OTHER_PROVIDER, "admin-b")
    assert (await client.get(RECONCILE, headers=other)).json()["settlements"] == []


async def test_anomalies(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed_bed(app)  # bed-1 of elder-bed-1 at prov-a
    # the same elder with a second bed at another provider, also accepted: two active beds,
    # and construction subsidy from both providers
    await seed_bed_at_other_provider(app)
    await settle(client, JULY, admin())
    await settle(client, {**JULY, "provider_id": OTHER_PROVIDER}, admin(OTHER_PROVIDER, "b"))
    await feed(  # a suspension reported after the month was approved
        app,
        bed_event(
            "bed.suspended",
            status="suspended",
            accepted_on=date(2022, 5, 20),
            occurred_at=datetime(
                2022, 7, 9, 16, 30, tzinfo=UTC
            ),  # 10 July: 9 days left, under the cap
        ),
    )
    found = (await client.get(RECONCILE, headers=officer())).json()["anomalies"]
    kinds = sorted(a["kind"] for a in found)
    assert kinds == ["duplicate_construction", "suspended_days_paid", "two_active_beds"]
    two = next(a for a in found if a["kind"] == "two_active_beds")
    assert two["bed_ids"] == ["bed-1", "bed-x"]


async def seed_bed_at_other_provider(app: FastAPI) -> None:
    from subsidy.testing import acceptance_event

    await feed(app, bed_event(bed_id="bed-x", elder_id="elder-bed-1", provider_id=OTHER_PROVIDER))
    await feed(
        app, acceptance_event(bed_id="bed-x", elder_id="elder-bed-1", provider_id=OTHER_PROVIDER)
    )
    await feed(
        app,
        bed_event(
            "bed.accepted",
            bed_id="bed-x",
            elder_id="elder-bed-1",
            provider_id=OTHER_PROVIDER,
            status="accepted",
            accepted_on=date(2022, 5, 20),
            occurred_at=datetime(2022, 5, 20, 2, tzinfo=UTC),
        ),
    )


async def test_statements_csv_and_pdf(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed_bed(app)
    stl = await settle(client, JULY, admin())
    url = f"/v1/subsidy-reports/statements/{stl}"
    csv = await client.get(f"{url}?format=csv", headers=admin())
    assert csv.headers["content-type"].startswith("text/csv")
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "bed,elder,for_period,kind,rule,seed,amount_yuan,explanation"
    assert rows[1].startswith("bed-1,elder-bed-1,2022-07,construction,xc-construction,")
    pdf = await client.get(url, headers=admin())
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    again = await client.get(url, headers=admin())
    assert again.content == pdf.content  # deterministic
    other = admin(OTHER_PROVIDER, "admin-b")
    assert (await client.get(url, headers=other)).status_code == 404
    region = "/v1/subsidy-reports/region?jurisdiction=341800&period=2022-07"
    summary = await client.get(f"{region}&format=csv", headers=officer())
    assert summary.content.decode("utf-8-sig").splitlines() == [
        "provider,status,kind,amount_yuan",
        "prov-a,approved,construction,1500.00",
        "prov-a,approved,low_income_service,600.00",
    ]
    assert (await client.get(region, headers=officer())).content.startswith(b"%PDF")
    assert (await client.get(region, headers=admin())).status_code == 403
