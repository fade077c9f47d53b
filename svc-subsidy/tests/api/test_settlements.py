"""A Xuancheng month end to end over HTTP: facts from events → run → submit → approve (posted)
→ payment file → paid; maker-checker, regions, a late fact as next month's adjustment, a
clawback as a reversing transfer (001 §四(七), §五(四))."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.principal import Role
from chassis.testing.principals import principal_headers
from subsidy.testing import (
    JULY,
    OTHER_PROVIDER,
    admin,
    bed_event,
    feed,
    officer,
    seed_bed,
)


async def run(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]) -> Any:
    answer = await client.post("/v1/settlements", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_month_from_run_to_paid(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed_bed(app)
    first = await run(client, JULY, admin())
    again = await run(client, JULY, admin())
    assert first["total_fen"] == again["total_fen"] == 210000  # 1500 + 600 yuan
    assert first["lines_digest"] == again["lines_digest"]
    assert again["run_no"] == 2
    assert again["policy_version"] == "341800-2022.1"
    stl = first["id"]
    lines = (await client.get(f"/v1/settlements/{stl}/lines", headers=admin())).json()
    assert [(x["kind"], x["amount_fen"], x["seed"]) for x in lines["items"]] == [
        ("construction", 150000, "001 §四(七)1"),
        ("low_income_service", 60000, "001 §四(七)2"),
    ]

    submitted = await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    assert submitted.json()["status"] == "submitted", submitted.text
    rerun = await client.post("/v1/settlements", json=JULY, headers=admin())
    assert rerun.status_code == 409
    assert rerun.json()["allowed_actions"] == ["approve", "reject"]

    maker = officer("officer-1")
    by_admin = await client.post(f"/v1/settlements/{stl}/approval", headers=admin())
    assert by_admin.status_code == 403
    far = principal_headers(Role.OFFICER, "officer-9", regions=("310105",))
    assert (await client.post(f"/v1/settlements/{stl}/approval", headers=far)).status_code == 404

    balance = (await client.get("/v1/ledger/trial-balance", headers=maker)).json()
    assert balance["debits_fen"] == 0  # pending: nothing posted yet
    approved = await client.post(f"/v1/settlements/{stl}/approval", headers=maker)
    assert approved.json()["status"] == "approved", approved.text
    balance = (await client.get("/v1/ledger/trial-balance", headers=maker)).json()
    assert balance == {
        "debits_fen": 210000,
        "credits_fen": 210000,
        "balanced": True,
        "accounts": [
            {"account_id": "funder:city:341800", "posted_fen": 210000, "pending_fen": 0},
            {"account_id": "provider_payable:prov-a", "posted_fen": -210000, "pending_fen": 0},
        ],
    }

    csv = await client.get(f"/v1/settlements/{stl}/payment-file", headers=maker)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines() == [
        "provider,account,amount,reference,payer",
        f"prov-a,provider_payable:prov-a,2100.00,{stl}:s1,treasury:city:341800",
    ]
    wrong = {"payment_reference": "BANK-1", "amount_fen": 1}
    bad = await client.post(
        f"/v1/settlements/{stl}/payment-confirmation", json=wrong, headers=maker
    )
    assert bad.status_code == 422
    body = {"payment_reference": "BANK-1", "amount_fen": 210000}
    paid = await client.post(
        f"/v1/settlements/{stl}/payment-confirmation", json=body, headers=maker
    )
    assert paid.json()["status"] == "paid", paid.text
    accounts = (await client.get("/v1/ledger/trial-balance", headers=maker)).json()["accounts"]
    assert {a["account_id"]: a["posted_fen"] for a in accounts} == {
        "funder:city:341800": 210000,
        "provider_payable:prov-a": 0,
        "treasury:city:341800": -210000,
    }


async def test_maker_checker_and_rejection(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed_bed(app)
    maker = officer("officer-1")
    stl = (await run(client, JULY, maker))["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=maker)
    own = await client.post(f"/v1/settlements/{stl}/approval", headers=maker)
    assert own.status_code == 403
    assert "maker-checker" in own.json()["detail"]
    checker = officer("officer-2")
    rejected = await client.post(
        f"/v1/settlements/{stl}/rejection", json={"reason": "缺少服务协议"}, headers=checker
    )
    assert rejected.json()["status"] == "draft"
    assert rejected.json()["rejected_reason"] == "缺少服务协议"
    balance = (await client.get("/v1/ledger/trial-balance", headers=checker)).json()
    assert balance["accounts"] == []  # the pending transfer was voided
    await client.post(f"/v1/settlements/{stl}/submission", headers=maker)
    approved = await client.post(f"/v1/settlements/{stl}/approval", headers=checker)
    assert approved.json()["status"] == "approved"
    assert approved.json()["pending_transfer_id"] == f"{stl}:s2"


async def test_providers_see_only_their_own(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed_bed(app)
    stl = (await run(client, JULY, admin()))["id"]
    other = admin(OTHER_PROVIDER, "admin-b")
    assert (await client.get(f"/v1/settlements/{stl}", headers=other)).status_code == 404
    refused = await client.post("/v1/settlements", json=JULY, headers=other)
    assert refused.status_code == 403
    listed = (await client.get("/v1/settlements", headers=other)).json()
    assert listed["total"] == 0
    mine = (await client.get("/v1/settlements", headers=admin())).json()
    assert [s["id"] for s in mine["items"]] == [stl]
    officers = (await client.get("/v1/settlements?period=2022-07", headers=officer())).json()
    assert officers["total"] == 1


async def test_late_fact_becomes_next_month_adjustment(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed_bed(app)
    stl = (await run(client, JULY, admin()))["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    await client.post(f"/v1/settlements/{stl}/approval", headers=officer())
    # a suspension 21-31 July arrives after approval (a hospital stay reported late)
    await feed(
        app,
        bed_event(
            "bed.suspended",
            status="suspended",
            accepted_on=date(2022, 5, 20),
            occurred_at=datetime(2022, 7, 20, 16, 30, tzinfo=UTC),  # 21 July Shanghai
        ),
    )
    await feed(
        app,
        bed_event(
            "bed.resumed",
            status="accepted",
            accepted_on=date(2022, 5, 20),
            occurred_at=datetime(2022, 7, 31, 16, 30, tzinfo=UTC),  # 1 August Shanghai
        ),
    )
    july = (await client.get(f"/v1/settlements/{stl}", headers=admin())).json()
    assert july["total_fen"] == 210000  # approved: never edited
    august = {**JULY, "period": "2022-08"}
    preview = await client.post("/v1/settlements/dry-run", json=august, headers=admin())
    assert preview.json()["status"] is None
    aug = await run(client, august, admin())
    lines = (await client.get(f"/v1/settlements/{aug['id']}/lines", headers=admin())).json()
    items = [(x["for_period"], x["kind"], x["amount_fen"]) for x in lines["items"]]
    # July now: 800 × 20/31 = 516.13 → −83.87 yuan; August: the full 600
    assert items == [
        ("2022-07", "low_income_service", -8387),
        ("2022-08", "low_income_service", 60000),
    ]
    assert "adjustment of 2022-07" in lines["items"][0]["explanation"]


async def test_clawback_reverses_and_suspends(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed_bed(app)
    stl = (await run(client, JULY, admin()))["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    await client.post(f"/v1/settlements/{stl}/approval", headers=officer())
    lines = (await client.get(f"/v1/settlements/{stl}/lines", headers=admin())).json()["items"]
    construction = next(x for x in lines if x["kind"] == "construction")
    url = f"/v1/settlements/{stl}/lines/{construction['id']}/clawback"
    body = {"reason": "建设投入凭证造假"}
    assert (await client.post(url, json=body, headers=admin())).status_code == 403
    done = await client.post(url, json=body, headers=officer())
    assert done.status_code == 200, done.text
    assert done.json()["amount_fen"] == 150000
    assert (await client.post(url, json=body, headers=officer())).status_code == 409
    balance = (await client.get("/v1/ledger/trial-balance", headers=officer())).json()
    assert balance["balanced"] is True
    accounts = {a["account_id"]: a["posted_fen"] for a in balance["accounts"]}
    assert accounts["funder:city:341800"] == 60000
    august = await run(client, {**JULY, "period": "2022-08"}, admin())
    assert august["total_fen"] == 0  # further payments suspended


async def test_submission_tells_the_officers(app: FastAPI, client: httpx.AsyncClient) -> None:
    """settlement.submitted on subsidy.settlements.v1 (svc-notify's `settlement-submitted` rule
    tells the region's officers): who submitted, the totals, the pending transfer; the event
    is staged in the outbox with the submission (one transaction)."""
    await seed_bed(app)
    stl = (await run(client, JULY, admin()))["id"]
    assert await outbox_events(app, "settlement.submitted") == []
    submitted = await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    assert submitted.status_code == 200, submitted.text
    [event] = await outbox_events(app, "settlement.submitted")
    assert event["key"] == "prov-a"
    data = event["data"]
    assert data["settlement_id"] == stl
    assert data["status"] == "submitted"
    assert data["submitted_by"] == "admin-a"
    assert data["approved_by"] is None
    assert data["total_fen"] == 210000
    assert data["by_kind_fen"] == {"construction": 150000, "low_income_service": 60000}
    assert data["ledger_transfer_id"] == f"{stl}:s1"
    # a second submission of the same settlement is refused: still one event
    again = await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    assert again.status_code == 409
    assert len(await outbox_events(app, "settlement.submitted")) == 1


async def outbox_events(app: FastAPI, event_type: str) -> list[dict[str, Any]]:
    runtime = app.state.runtime
    uow = runtime.uow()
    async with uow:
        outbox = uow.tables.outbox
        rows = await uow.session.execute(
            select(outbox.c.key, outbox.c.payload)
            .where(outbox.c.event_type == event_type)
            .order_by(outbox.c.id)
        )
        return [{"key": key, **json.loads(payload)} for key, payload in rows]


async def test_recovery_of_a_paid_clawback_and_lifting_the_suspension(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """退赔补贴 (002 §七(三)4, 001 §五(四)): a paid line clawed back is owed by the provider
    (receivable); its repayment is a new transfer back to the funder's treasury, once. Then an
    officer of the region lifts the bed's payment suspension and the next month settles again."""
    await seed_bed(app)
    stl = (await run(client, JULY, admin()))["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    await client.post(f"/v1/settlements/{stl}/approval", headers=officer())
    lines = (await client.get(f"/v1/settlements/{stl}/lines", headers=admin())).json()["items"]
    construction = next(x for x in lines if x["kind"] == "construction")
    recovery_url = f"/v1/settlements/{stl}/lines/{construction['id']}/recovery"
    repaid = {"payment_reference": "BANK-R-1", "amount_fen": 150000}
    not_yet = await client.post(recovery_url, json=repaid, headers=officer())
    assert not_yet.status_code == 409  # nothing clawed back yet
    paid = await client.post(
        f"/v1/settlements/{stl}/payment-confirmation",
        json={"payment_reference": "BANK-1", "amount_fen": 210000},
        headers=officer(),
    )
    assert paid.status_code == 200, paid.text
    clawback_url = f"/v1/settlements/{stl}/lines/{construction['id']}/clawback"
    clawed = await client.post(clawback_url, json={"reason": "建设投入凭证造假"}, headers=officer())
    assert clawed.status_code == 200, clawed.text

    assert (await client.post(recovery_url, json=repaid, headers=admin())).status_code == 403
    wrong = await client.post(recovery_url, json={**repaid, "amount_fen": 1}, headers=officer())
    assert wrong.status_code == 422
    assert "amount_fen" in wrong.text
    done = await client.post(recovery_url, json=repaid, headers=officer())
    assert done.status_code == 200, done.text
    assert done.json() == {
        "line_id": construction["id"],
        "amount_fen": 150000,
        "transfer_id": f"recovery:{construction['id']}",
        "references_transfer_id": f"clawback:{construction['id']}",
        "payment_reference": "BANK-R-1",
    }
    assert (await client.post(recovery_url, json=repaid, headers=officer())).status_code == 409
    balance = (await client.get("/v1/ledger/trial-balance", headers=officer())).json()
    assert balance["balanced"] is True
    accounts = {a["account_id"]: a["posted_fen"] for a in balance["accounts"]}
    assert accounts["clawback_receivable:prov-a"] == 0
    assert accounts["treasury:city:341800"] == -210000 + 150000
    assert accounts["funder:city:341800"] == 60000

    august = {**JULY, "period": "2022-08"}
    assert (await run(client, august, admin()))["total_fen"] == 0  # still suspended
    lift_url = "/v1/payment-suspensions/bed-1/lifting"
    reason = {"reason": "退赔已到账，恢复拨付"}
    assert (await client.post(lift_url, json=reason, headers=admin())).status_code == 403
    far = officer("officer-9", regions=("310105",))
    assert (await client.post(lift_url, json=reason, headers=far)).status_code == 404
    unknown = "/v1/payment-suspensions/bed-x/lifting"
    assert (await client.post(unknown, json=reason, headers=officer())).status_code == 404
    lifted = await client.post(lift_url, json=reason, headers=officer("officer-2"))
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["payments_suspended"] is False
    assert lifted.json()["lifted_by"] == "officer-2"
    assert (await client.post(lift_url, json=reason, headers=officer())).status_code == 409
    again = await run(client, august, admin())
    assert again["total_fen"] == 60000  # August's low-income service line: settled again


async def test_recovery_of_an_unpaid_clawback_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Clawed back before payment: deducted from the payable, so there is nothing to repay."""
    await seed_bed(app)
    stl = (await run(client, JULY, admin()))["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=admin())
    await client.post(f"/v1/settlements/{stl}/approval", headers=officer())
    lines = (await client.get(f"/v1/settlements/{stl}/lines", headers=admin())).json()["items"]
    line_id = next(x for x in lines if x["kind"] == "construction")["id"]
    base = f"/v1/settlements/{stl}/lines/{line_id}"
    clawed = await client.post(f"{base}/clawback", json={"reason": "核查不实"}, headers=officer())
    assert clawed.status_code == 200, clawed.text
    refused = await client.post(
        f"{base}/recovery",
        json={"payment_reference": "BANK-R-2", "amount_fen": 150000},
        headers=officer(),
    )
    assert refused.status_code == 409
    assert "unpaid payable" in refused.text


async def test_a_month_is_submitted_once_it_is_over(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await seed_bed(app)
    august = await run(client, {**JULY, "period": "2022-08"}, admin())  # a draft as it goes
    submission = f"/v1/settlements/{august['id']}/submission"
    early = await client.post(submission, headers=admin())
    assert early.status_code == 409
    assert "2022-08 is not over: submit from 2022-09-01" in early.json()["detail"]
    clock.set(datetime(2022, 8, 31, 15, 59, tzinfo=UTC))  # 23:59 on the 31st in Shanghai
    assert (await client.post(submission, headers=admin())).status_code == 409
    clock.set(datetime(2022, 8, 31, 16, 0, tzinfo=UTC))  # 00:00 on 1 September in Shanghai
    submitted = await client.post(submission, headers=admin())
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
