"""The officer picture's subsidies page (issue 18 item 5): svc-subsidy's region report read as an
officer of the jurisdiction, only the region's providers kept, amounts in integer fen, the
ledger's balance; drawn as a page that names the totals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from pypdf import PdfReader

from chassis.principal import PRINCIPAL_HEADER, Role, verify_internal_token
from reporting.domain.officer_picture import OfficerPicture, ProviderPicture
from reporting.subsidy_figures import (
    SubsidyFigures,
    candidate_jurisdictions,
    fetch_subsidy_figures,
)

KEY = "test-internal-key-0123456789-0123456789"
REGION_CSV = (
    "provider,status,kind,amount_yuan\r\n"
    "prov-xuanzhou,approved,construction,1500.00\r\n"
    "prov-xuanzhou,approved,low_income_service,600.00\r\n"
    "prov-ningguo,submitted,low_income_service,450.50\r\n"
)


class FakeSubsidy:
    """svc-subsidy's two routes, checking who asks."""

    def __init__(self, *, balanced: bool = True) -> None:
        self.balanced, self.asked = balanced, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        principal = verify_internal_token(request.headers[PRINCIPAL_HEADER], KEY)
        assert principal.role is Role.OFFICER
        self.asked.append((request.url.path, principal.region_codes))
        if request.url.path == "/v1/ledger/trial-balance":
            return httpx.Response(
                200, json={"debits_fen": 1, "credits_fen": 1, "balanced": self.balanced}
            )
        jurisdiction = request.url.params["jurisdiction"]
        assert request.url.params["period"] == "2023-03"
        if jurisdiction != "341800":
            return httpx.Response(422, json={"detail": f"no subsidy profile for {jurisdiction}"})
        assert principal.region_codes == ("341800",)
        return httpx.Response(200, text=REGION_CSV)


async def fetch(fake: FakeSubsidy) -> SubsidyFigures:
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        return await fetch_subsidy_figures(
            http,
            base_url="http://subsidy",
            key=KEY,
            region_code="341802",
            month="2023-03",
            providers={"prov-xuanzhou"},  # 宣州区's; 宁国市's provider is another county
        )


def test_the_region_then_its_city() -> None:
    assert candidate_jurisdictions("341802") == ["341802", "341800"]
    assert candidate_jurisdictions("310105000000") == ["310105", "310100"]
    assert candidate_jurisdictions("341800") == ["341800"]


async def test_figures_are_the_regions_providers_in_fen() -> None:
    fake = FakeSubsidy()
    figures = await fetch(fake)
    assert figures.unavailable is None
    assert figures.jurisdictions == ["341800"]
    assert figures.amounts_fen == {
        "prov-xuanzhou": {"construction": 150_000, "low_income_service": 60_000}
    }
    assert figures.total_fen == 210_000
    assert figures.status == {"prov-xuanzhou": "approved"}
    assert figures.ledger_balanced is True
    assert [path for path, _ in fake.asked] == [
        "/v1/subsidy-reports/region",
        "/v1/subsidy-reports/region",
        "/v1/ledger/trial-balance",
    ]
    assert (await fetch(FakeSubsidy(balanced=False))).ledger_balanced is False


async def test_an_error_answer_gives_no_figures() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    async with httpx.AsyncClient(transport=httpx.MockTransport(broken)) as http:
        figures = await fetch_subsidy_figures(
            http, base_url="http://subsidy", key=KEY, region_code="341802",
            month="2023-03", providers={"prov-xuanzhou"},
        )  # fmt: skip
    assert figures.unavailable == "svc-subsidy answered 503 for 341802"
    assert figures.amounts_fen == {}


def test_the_page_shows_the_totals_and_the_ledger(tmp_path: Path) -> None:
    picture = OfficerPicture(
        region_code="341802", first=date(2023, 3, 1), last=date(2023, 3, 31),
        providers=[ProviderPicture(provider_id="prov-xuanzhou", region_code="341802", active_beds=2)],
        arrival_minutes=[], alarms_never_reached=0,
    )  # fmt: skip
    figures = SubsidyFigures(
        jurisdictions=["341800"],
        amounts_fen={"prov-xuanzhou": {"construction": 150_000, "low_income_service": 60_000}},
        status={"prov-xuanzhou": "approved"},
        ledger_balanced=True,
    )
    out = tmp_path / "picture.pdf"
    from reporting.officer_pdf import write_pdf  # matplotlib: imported by the test that draws

    write_pdf(picture, out, generated_at=datetime(2023, 4, 2, tzinfo=UTC), subsidies=figures)
    page = PdfReader(out).pages[4].extract_text()
    assert "2,100.00 (approved)" in page
    assert "Total 2,100.00 yuan; jurisdiction 341800; ledger balanced." in page
    assert "low-income service" in page
