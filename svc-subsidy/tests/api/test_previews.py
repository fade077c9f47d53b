"""The calculators over HTTP: the exact contracts of issue 14, roles, and field errors."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from subsidy.bootstrap import create_app
from subsidy.testing import admin, officer, subsidy_settings

EXAMPLE = {
    "jurisdiction": "341800",
    "period": "2022-07",
    "bed": {
        "birth_date": "1950-03-01",
        "ability_level": "moderate",
        "economic_status": "dibao",
        "package_fee_fen": 80000,
        "contract_start": "2022-04-15",
        "contract_end": "2022-10-14",
        "established_on": "2022-04-15",
        "accepted_on": "2022-05-20",
        "terminated_on": None,
        "construction_investment_fen": 360000,
        "construction_paid_fen": 0,
        "modification_cost_fen": None,
        "modification_consent": None,
        "voucher_fen": None,
        "services_delivered_fen": None,
    },
}


async def test_the_issue_example(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/subsidies/preview", json=EXAMPLE, headers=admin())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(x["kind"], x["amount_fen"], x["payee"]) for x in body["lines"]] == [
        ("construction", 150000, "provider"),
        ("low_income_service", 60000, "provider"),
    ]
    assert body["total_fen"] == 210000
    assert body["lines"][0]["rule"] == "xc-construction"
    assert body["lines"][0]["seed"] == "001 §四(七)1"
    assert "operating" in {n["kind"] for n in body["notes"]}


async def test_officers_may_preview_elders_may_not(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/subsidies/preview", json=EXAMPLE, headers=officer())).is_success
    elder = principal_headers(Role.ELDER, "elder-1")
    refused = await client.post("/v1/subsidies/preview", json=EXAMPLE, headers=elder)
    assert refused.status_code == 403
    assert (await client.post("/v1/subsidies/preview", json=EXAMPLE)).status_code == 401


async def test_bad_input_names_the_field(client: httpx.AsyncClient) -> None:
    bad = {**EXAMPLE, "period": "2022-13"}
    answer = await client.post("/v1/subsidies/preview", json=bad, headers=admin())
    assert answer.status_code == 422
    assert "period" in answer.text
    unknown = {**EXAMPLE, "jurisdiction": "110105"}
    answer = await client.post("/v1/subsidies/preview", json=unknown, headers=admin())
    assert answer.status_code == 422
    assert "jurisdiction" in answer.text
    wrong_type = {**EXAMPLE, "bed": {**EXAMPLE["bed"], "package_fee_fen": "800"}}  # type: ignore[dict-item]
    answer = await client.post("/v1/subsidies/preview", json=wrong_type, headers=admin())
    assert answer.status_code == 422
    assert "package_fee_fen" in answer.text


async def test_scale_award_preview(client: httpx.AsyncClient) -> None:
    counts = [80, 90, 100, 110, 120, 100, 250, 250, 250, 250, 250, 250]
    months = [{"period": f"2021-{i + 1:02d}", "qualifying_elders": n} for i, n in enumerate(counts)]
    body = {"jurisdiction": "310105", "months": months}
    answer = await client.post("/v1/subsidies/scale-award/preview", json=body, headers=officer())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "awards": [
            {
                "tier": 1,
                "window": "2021-01..2021-06",
                "amount_fen": 15000000,
                "district_match_fen": 15000000,
            },
            {
                "tier": 2,
                "window": "2021-05..2021-10",
                "amount_fen": 15000000,
                "district_match_fen": 15000000,
            },
        ]
    }
    refused = await client.post("/v1/subsidies/scale-award/preview", json=body, headers=admin())
    assert refused.status_code == 403
    xuancheng = {"jurisdiction": "341800", "months": months}
    answer = await client.post(
        "/v1/subsidies/scale-award/preview", json=xuancheng, headers=officer()
    )
    assert answer.status_code == 422
    assert "jurisdiction" in answer.text
    twice = {"jurisdiction": "310105", "months": months + months[:1]}
    answer = await client.post("/v1/subsidies/scale-award/preview", json=twice, headers=officer())
    assert answer.status_code == 422
    assert "months" in answer.text


async def test_the_voucher_of_the_body_wins_over_the_configured_amount(database_url: str) -> None:
    """Pingyang's e-voucher (004 §二(四)3): the preview uses the deployment's configured monthly
    voucher like the settlement run; a `voucher_fen` in the body (a bed's own amount) wins."""
    configured = {"330326": {"voucher_settlement": {"monthly_voucher_fen": 30000}}}
    app = create_app(subsidy_settings(database_url, rule_configuration=configured))
    bed = {
        **EXAMPLE["bed"],  # type: ignore[dict-item]
        "accepted_on": None,
        "construction_investment_fen": None,
        "services_delivered_fen": 45000,
    }
    body = {"jurisdiction": "330326", "period": "2022-07", "bed": bed}
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            configured_answer = await client.post(
                "/v1/subsidies/preview", json=body, headers=admin()
            )
            own = {**body, "bed": {**bed, "voucher_fen": 20000}}
            own_answer = await client.post("/v1/subsidies/preview", json=own, headers=admin())
    assert configured_answer.status_code == own_answer.status_code == 200, configured_answer.text
    [line] = configured_answer.json()["lines"]
    assert (line["kind"], line["amount_fen"], line["payee"]) == (
        "voucher_settlement",
        30000,
        "provider",  # settled to the provider for the services delivered
    )
    assert "min(voucher 300.00, verified services 450.00)" in line["explanation"]
    [line] = own_answer.json()["lines"]
    assert line["amount_fen"] == 20000
    assert "min(voucher 200.00, verified services 450.00)" in line["explanation"]
