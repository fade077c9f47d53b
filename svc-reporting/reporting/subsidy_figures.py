"""The subsidies page of the officer's picture, from svc-subsidy (issue 18 item 5): per provider
of the region, the month's settled amounts by kind and the settlement's state, and whether the
ledger balances. Read from svc-subsidy's region report (`/v1/subsidy-reports/region`, CSV) and
trial balance as an officer of the jurisdiction would: the command acts for the officer it
prints for, with the internal token key of the deployment it runs in. When svc-subsidy cannot
answer, the page says why and shows no figures rather than invented ones."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token


@dataclass
class SubsidyFigures:
    jurisdictions: list[str] = field(default_factory=list)
    # provider -> kind -> fen (integer fen; the page shows yuan)
    amounts_fen: dict[str, dict[str, int]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    ledger_balanced: bool | None = None
    unavailable: str | None = None  # why there are no figures

    @property
    def total_fen(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.amounts_fen.values())


def candidate_jurisdictions(region_code: str) -> list[str]:
    """Subsidy profiles are a district's (310105) or a city's (341800): the region itself, then
    its city."""
    county = region_code[:6]
    return list(dict.fromkeys([county, county[:4] + "00"]))


def _fen(yuan: str) -> int:
    return int((Decimal(yuan) * 100).to_integral_value())


async def fetch_subsidy_figures(
    http: httpx.AsyncClient,
    *,
    base_url: str,
    key: str,
    region_code: str,
    month: str,
    providers: set[str],
) -> SubsidyFigures:
    """The month's subsidies of these providers (the picture's, so only the region's)."""
    figures = SubsidyFigures()
    amounts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    base = base_url.rstrip("/")
    try:
        for jurisdiction in candidate_jurisdictions(region_code):
            officer = Principal(
                sub="reporting-cli", role=Role.OFFICER, region_codes=(jurisdiction,)
            )
            headers = {PRINCIPAL_HEADER: mint_internal_token(officer, key)}
            answer = await http.get(
                f"{base}/v1/subsidy-reports/region",
                params={"jurisdiction": jurisdiction, "period": month, "format": "csv"},
                headers=headers,
            )
            if answer.status_code == 422 and "no subsidy profile" in answer.text:
                continue  # not a jurisdiction with a subsidy profile
            if answer.status_code != 200:
                figures.unavailable = (
                    f"svc-subsidy answered {answer.status_code} for {jurisdiction}"
                )
                return figures
            figures.jurisdictions.append(jurisdiction)
            for row in csv.DictReader(io.StringIO(answer.text)):
                if row["provider"] in providers:
                    amounts[row["provider"]][row["kind"]] += _fen(row["amount_yuan"])
                    figures.status[row["provider"]] = row["status"]
            balance = await http.get(f"{base}/v1/ledger/trial-balance", headers=headers)
            if balance.status_code == 200:
                balanced = bool(balance.json()["balanced"])
                figures.ledger_balanced = balanced and figures.ledger_balanced is not False
    except httpx.HTTPError as error:
        figures.unavailable = f"svc-subsidy unreachable at {base} ({type(error).__name__})"
        return figures
    if not figures.jurisdictions:
        figures.unavailable = f"no subsidy profile covers region {region_code}"
    figures.amounts_fen = {p: dict(k) for p, k in sorted(amounts.items())}
    return figures
