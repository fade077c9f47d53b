"""Changning's provider-level subsidies settled: the platform subsidy (002 §八3) — an officer
records that a provider's information platform passed acceptance; that month's settlement
carries one line of 200,000 yuan paid by the district, once per provider — and the scale award
(002 §八2) counted from the beds' facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from subsidy.testing import bed_event, feed

CHANGNING = "310105"
PROVIDER = "prov-cn"
JULY = {"provider_id": PROVIDER, "jurisdiction": CHANGNING, "period": "2022-07"}
ACCEPTANCE = {"provider_id": PROVIDER, "jurisdiction": CHANGNING, "accepted_on": "2022-07-12"}


def cn_officer(sub: str = "officer-cn") -> dict[str, str]:
    return principal_headers(Role.OFFICER, sub, regions=(CHANGNING,))


def cn_admin() -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, "admin-cn", provider_id=PROVIDER)


async def run(client: httpx.AsyncClient, body: dict[str, Any]) -> Any:
    answer = await client.post("/v1/settlements", json=body, headers=cn_admin())
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_platform_subsidy_recorded_then_settled_once(client: httpx.AsyncClient) -> None:
    url = "/v1/platform-acceptances"
    assert (await client.post(url, json=ACCEPTANCE, headers=cn_admin())).status_code == 403
    far = principal_headers(Role.OFFICER, "officer-xc", regions=("341800",))
    assert (await client.post(url, json=ACCEPTANCE, headers=far)).status_code == 403
    recorded = await client.post(url, json=ACCEPTANCE, headers=cn_officer())
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["settles_in"] == "2022-07"
    assert recorded.json()["recorded_by"] == "officer-cn"
    again = await client.post(url, json=ACCEPTANCE, headers=cn_officer())
    assert again.status_code == 200  # the same record: idempotent
    other = {**ACCEPTANCE, "accepted_on": "2022-09-01"}
    assert (await client.post(url, json=other, headers=cn_officer())).status_code == 409

    june = await run(client, {**JULY, "period": "2022-06"})
    assert june["total_fen"] == 0
    july = await run(client, JULY)
    assert july["total_fen"] == 20000000
    lines = (await client.get(f"/v1/settlements/{july['id']}/lines", headers=cn_admin())).json()
    [line] = lines["items"]
    assert (line["kind"], line["rule"], line["seed"], line["amount_fen"]) == (
        "platform",
        "cn-platform",
        "002 §八3",
        20000000,
    )
    assert line["funding"] == [{"level": "district", "amount_fen": 20000000}]
    assert line["bed_id"] == line["elder_id"] == ""  # provider-level

    stl = july["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=cn_admin())
    approved = await client.post(f"/v1/settlements/{stl}/approval", headers=cn_officer())
    assert approved.status_code == 200, approved.text
    balance = (await client.get("/v1/ledger/trial-balance", headers=cn_officer())).json()
    accounts = {a["account_id"]: a["posted_fen"] for a in balance["accounts"]}
    assert accounts["funder:district:310105"] == 20000000
    assert accounts[f"provider_payable:{PROVIDER}"] == -20000000
    august = await run(client, {**JULY, "period": "2022-08"})
    assert august["total_fen"] == 0  # once


async def test_acceptance_of_a_month_already_submitted_is_refused(
    client: httpx.AsyncClient,
) -> None:
    stl = (await run(client, JULY))["id"]
    await client.post(f"/v1/settlements/{stl}/submission", headers=cn_admin())
    late = await client.post("/v1/platform-acceptances", json=ACCEPTANCE, headers=cn_officer())
    assert late.status_code == 409
    assert "submitted" in late.text
    xuancheng = {**ACCEPTANCE, "jurisdiction": "341800"}
    officer_xc = principal_headers(Role.OFFICER, "officer-xc", regions=("341800",))
    no_rule = await client.post("/v1/platform-acceptances", json=xuancheng, headers=officer_xc)
    assert no_rule.status_code == 422
    assert "jurisdiction" in no_rule.text


async def test_scale_award_settled_from_the_beds_facts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """002 §八2 from intake.beds.v1 facts: 100 elders signed for the year from January (and one
    whose contract is shorter than a month, not counted): six months averaging 100 reach tier 1,
    settled in June's settlement as one provider-level line, the city's 150,000 yuan and the
    district's 1:1 match; not again in July."""
    for n in range(100):
        await feed(app, _changning_bed(f"bed-s{n}", date(2022, 12, 31)))
    await feed(app, _changning_bed("bed-short", date(2022, 1, 20)))
    may = await run(client, {**JULY, "period": "2022-05"})
    assert may["total_fen"] == 0  # five months: no window yet
    june = await run(client, {**JULY, "period": "2022-06"})
    assert june["total_fen"] == 30000000
    lines = (await client.get(f"/v1/settlements/{june['id']}/lines", headers=cn_admin())).json()
    [line] = lines["items"]
    assert (line["kind"], line["rule"], line["seed"]) == (
        "scale_award",
        "cn-scale-award",
        "002 §八2",
    )
    assert line["funding"] == [
        {"level": "city", "amount_fen": 15000000},
        {"level": "district", "amount_fen": 15000000},
    ]
    assert "100, 100, 100, 100, 100, 100" in line["explanation"]
    await client.post(f"/v1/settlements/{june['id']}/submission", headers=cn_admin())
    approved = await client.post(f"/v1/settlements/{june['id']}/approval", headers=cn_officer())
    assert approved.status_code == 200, approved.text
    july = await run(client, JULY)
    assert july["total_fen"] == 0


def _changning_bed(bed_id: str, contract_end: date) -> Envelope:
    return bed_event(
        bed_id=bed_id,
        provider_id=PROVIDER,
        jurisdiction=CHANGNING,
        contract_start=date(2022, 1, 1),
        contract_end=contract_end,
        established_on=date(2022, 1, 1),
        occurred_at=datetime(2022, 1, 1, 2, tzinfo=UTC),
    )
