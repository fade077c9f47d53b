"""Changning's provider-level subsidies settled: the platform subsidy (002 §八3) — an officer
records that a provider's information platform passed acceptance; that month's settlement
carries one line of 200,000 yuan paid by the district, once per provider — and the scale award
(002 §八2) counted from the beds' facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.clock import ManualClock
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


async def lines_of(client: httpx.AsyncClient, stl: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/v1/settlements/{stl}/lines", headers=cn_admin())
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def close(client: httpx.AsyncClient, stl: str) -> None:
    """Submitted by the provider's admin, approved by an officer."""
    submitted = await client.post(f"/v1/settlements/{stl}/submission", headers=cn_admin())
    assert submitted.status_code == 200, submitted.text
    approved = await client.post(f"/v1/settlements/{stl}/approval", headers=cn_officer())
    assert approved.status_code == 200, approved.text


async def test_acceptance_recorded_after_its_month_was_approved_settles_next_month(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """A late fact: the acceptance of 12 July recorded once July was approved is not refused
    and never edits July — August's settlement carries it as an adjustment of July, once."""
    july = await run(client, JULY)
    assert july["total_fen"] == 0
    await close(client, july["id"])
    late = await client.post("/v1/platform-acceptances", json=ACCEPTANCE, headers=cn_officer())
    assert late.status_code == 200, late.text
    assert (late.json()["settles_in"], late.json()["late"]) == ("2022-08", True)
    assert (await client.post("/v1/settlements", json=JULY, headers=cn_admin())).status_code == 409

    august = await run(client, {**JULY, "period": "2022-08"})
    assert august["total_fen"] == 20000000
    [line] = await lines_of(client, august["id"])
    assert (line["kind"], line["for_period"], line["rule"], line["seed"]) == (
        "platform",
        "2022-07",
        "cn-platform",
        "002 §八3",
    )
    assert line["explanation"].startswith(
        "adjustment of 2022-07 (late fact: platform acceptance of 2022-07-12; the 2022-07 "
        "settlement was closed without it, settled in 2022-08 under cn-platform, 002 §八3)"
    )
    assert (await run(client, {**JULY, "period": "2022-08"}))["total_fen"] == 20000000  # re-run
    # September while August (a draft) holds it: nothing; nor once August is approved
    assert (await run(client, {**JULY, "period": "2022-09"}))["total_fen"] == 0
    clock.set(datetime(2022, 9, 1, 4, tzinfo=UTC))
    await close(client, august["id"])
    recorded = await client.post("/v1/platform-acceptances", json=ACCEPTANCE, headers=cn_officer())
    assert recorded.json()["settles_in"] == "2022-08"  # where it was settled
    assert (await run(client, {**JULY, "period": "2022-09"}))["total_fen"] == 0
    balance = (await client.get("/v1/ledger/trial-balance", headers=cn_officer())).json()
    accounts = {a["account_id"]: a["posted_fen"] for a in balance["accounts"]}
    assert accounts["funder:district:310105"] == 20000000  # once


async def test_a_jurisdiction_without_a_platform_rule_is_refused(
    client: httpx.AsyncClient,
) -> None:
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


async def test_a_tier_whose_window_ended_in_an_approved_month_settles_next_month(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    """June approved before the beds' facts arrived: tier 1 (window January–June) is settled
    in July as an adjustment of June, once; a dry run of August shows nothing for it."""
    june = await run(client, {**JULY, "period": "2022-06"})
    assert june["total_fen"] == 0
    await close(client, june["id"])
    for n in range(100):
        await feed(app, _changning_bed(f"bed-s{n}", date(2022, 12, 31)))
    july = await run(client, JULY)
    assert july["total_fen"] == 30000000
    [line] = await lines_of(client, july["id"])
    assert (line["kind"], line["for_period"], line["amount_fen"]) == (
        "scale_award",
        "2022-06",
        30000000,
    )
    assert line["explanation"].startswith(
        "adjustment of 2022-06 (late fact: window 2022-01..2022-06 reached; the 2022-06 "
        "settlement was closed without it, settled in 2022-07 under cn-scale-award, 002 §八2): "
        "tier 1: 2022-01..2022-06 qualifying elders 100, 100, 100, 100, 100, 100 average"
    )
    dry = await client.post(
        "/v1/settlements/dry-run", json={**JULY, "period": "2022-08"}, headers=cn_admin()
    )
    assert dry.json()["new_total_fen"] == 0
    clock.set(datetime(2022, 9, 1, 4, tzinfo=UTC))
    await close(client, july["id"])
    august = await run(client, {**JULY, "period": "2022-08"})
    assert august["total_fen"] == 0
