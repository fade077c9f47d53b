"""A county's month a step at a time over HTTP (/v1/settlement-batches): an officer runs every
provider of the jurisdiction, submits them, another officer approves them all (maker-checker per
settlement), payments are confirmed together; the same figures as the per-provider routes
(001 §四(七)1–2), one event per settlement and step, all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from subsidy.testing import (
    CITY,
    OTHER_PROVIDER,
    PROVIDER,
    admin,
    bed_event,
    feed,
    officer,
    seed_bed,
)

MONTH = {"jurisdiction": CITY, "period": "2022-07"}
STL_A = f"stl-{CITY}-2022-07-{PROVIDER}"
STL_B = f"stl-{CITY}-2022-07-{OTHER_PROVIDER}"


async def post(client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    answer = await client.post(f"/v1/settlement-batches/{path}", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def two_providers(app: FastAPI) -> None:
    await seed_bed(app)  # prov-a: 1500 construction + 600 low income in July
    await feed(app, bed_event(bed_id="bed-b", provider_id=OTHER_PROVIDER))  # not accepted


async def outbox(app: FastAPI) -> list[tuple[str, str]]:
    uow = app.state.runtime.uow()
    async with uow:
        table = uow.tables.outbox
        rows = await uow.session.execute(select(table.c.event_type, table.c.payload))
        return [(kind, json.loads(payload)["subject"]) for kind, payload in rows]


async def test_a_county_month_from_run_to_paid(app: FastAPI, client: httpx.AsyncClient) -> None:
    await two_providers(app)
    maker, checker = officer("officer-1"), officer("officer-2")
    ran = await post(client, "runs", MONTH, maker)
    assert [(s["id"], s["total_fen"], s["run_no"]) for s in ran["settlements"]] == [
        (STL_A, 210000, 1),
        (STL_B, 60000, 1),  # the unaccepted bed: low income service only
    ]
    assert ran["skipped"] == []
    single = (await client.get(f"/v1/settlements/{STL_A}", headers=maker)).json()
    assert single["lines_digest"] == ran["settlements"][0]["lines_digest"]

    ids = {"settlement_ids": [STL_A, STL_B]}
    submitted = await post(client, "submissions", ids, maker)
    assert {s["status"] for s in submitted["settlements"]} == {"submitted"}
    assert [s["pending_transfer_id"] for s in submitted["settlements"]] == [
        f"{STL_A}:s1",
        f"{STL_B}:s1",
    ]
    again = await post(client, "runs", MONTH, maker)
    assert again["settlements"] == []
    assert again["skipped"] == [
        {"id": STL_A, "status": "submitted"},
        {"id": STL_B, "status": "submitted"},
    ]

    own = await client.post("/v1/settlement-batches/approvals", json=ids, headers=maker)
    assert own.status_code == 403, own.text
    assert "maker-checker" in own.json()["detail"]
    approved = await post(client, "approvals", ids, checker)
    assert {s["status"] for s in approved["settlements"]} == {"approved"}
    balance = (await client.get("/v1/ledger/trial-balance", headers=checker)).json()
    assert balance["debits_fen"] == balance["credits_fen"] == 270000

    wrong = {"payments": [{"settlement_id": STL_A, "payment_reference": "B-1", "amount_fen": 1}]}
    bad = await client.post(
        "/v1/settlement-batches/payment-confirmations", json=wrong, headers=checker
    )
    assert bad.status_code == 422
    payments = {
        "payments": [
            {"settlement_id": STL_A, "payment_reference": "B-1", "amount_fen": 210000},
            {"settlement_id": STL_B, "payment_reference": "B-2", "amount_fen": 60000},
        ]
    }
    paid = await post(client, "payment-confirmations", payments, checker)
    assert [(s["status"], s["payment_reference"]) for s in paid["settlements"]] == [
        ("paid", "B-1"),
        ("paid", "B-2"),
    ]
    balance = (await client.get("/v1/ledger/trial-balance", headers=checker)).json()
    accounts = {a["account_id"]: a["posted_fen"] for a in balance["accounts"]}
    assert accounts["provider_payable:prov-a"] == accounts["provider_payable:prov-b"] == 0
    assert accounts["treasury:city:341800"] == -270000
    events = await outbox(app)
    for name in ("calculated", "submitted", "approved", "paid"):
        assert sorted(s for t, s in events if t == f"settlement.{name}") == [STL_A, STL_B]


async def test_a_set_is_all_or_nothing_and_names_the_settlement(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await two_providers(app)
    maker, checker = officer("officer-1"), officer("officer-2")
    await post(client, "runs", {**MONTH, "provider_ids": [PROVIDER]}, maker)
    await post(client, "submissions", {"settlement_ids": [STL_A]}, admin())
    await post(client, "runs", {**MONTH, "provider_ids": [OTHER_PROVIDER]}, maker)
    both = {"settlement_ids": [STL_A, STL_B]}
    refused = await client.post("/v1/settlement-batches/approvals", json=both, headers=checker)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"].startswith(f"settlement {STL_B}: ")
    still = (await client.get(f"/v1/settlements/{STL_A}", headers=checker)).json()
    assert still["status"] == "submitted"  # nothing written

    missing = {"settlement_ids": [STL_A, "stl-nope"]}
    answer = await client.post("/v1/settlement-batches/approvals", json=missing, headers=checker)
    assert answer.status_code == 404
    twice = {"settlement_ids": [STL_A, STL_A]}
    answer = await client.post("/v1/settlement-batches/approvals", json=twice, headers=checker)
    assert answer.status_code == 422


async def test_who_may_act_on_a_batch(app: FastAPI, client: httpx.AsyncClient) -> None:
    await two_providers(app)
    far = principal_headers(Role.OFFICER, "officer-9", regions=("310105",))
    answer = await client.post("/v1/settlement-batches/runs", json=MONTH, headers=far)
    assert answer.status_code == 403  # another region
    answer = await client.post("/v1/settlement-batches/runs", json=MONTH, headers=admin())
    assert answer.status_code == 403  # a county run is an officer's
    await post(client, "runs", MONTH, officer())
    # a provider admin submits only their own provider's: another's is not found
    both = {"settlement_ids": [STL_A, STL_B]}
    answer = await client.post("/v1/settlement-batches/submissions", json=both, headers=admin())
    assert answer.status_code == 404
    # the month must be over before it is submitted
    app.state.runtime.clock.set(datetime(2022, 7, 20, 4, tzinfo=UTC))
    answer = await client.post(
        "/v1/settlement-batches/submissions", json={"settlement_ids": [STL_A]}, headers=admin()
    )
    assert answer.status_code == 409
    assert str(date(2022, 8, 1)) in answer.json()["detail"]
    no_auth = await client.post("/v1/settlement-batches/runs", json=MONTH)
    assert no_auth.status_code == 401
