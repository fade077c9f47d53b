"""The supervision view's `region_code` filter means the region and what lies within it (GB/T
2260, like an officer's regions): a county code whose last digit is 0 is that county alone, not
its numeric neighbours (余杭区 330110 is not 富阳区 330111)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from chassis.principal import Role
from chassis.testing.apps import app_client
from chassis.testing.principals import principal_headers
from reporting.bootstrap import create_app
from reporting.consumers import handle_bed_event
from reporting.settings import Settings
from reporting.testing import T, bed_event

BEDS = (
    ("yh1", "prov-yuhang", "330110"),
    ("fy1", "prov-fuyang", "330111"),
    ("lp1", "prov-linping", "330113"),
    ("sc1", "prov-shangcheng", "330102"),
    ("xz1", "prov-xuanzhou", "341802"),
)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/reporting.db",
        kafka_enabled=False,
        push_enabled=False,
    )
    app = create_app(settings)
    async with app_client(app) as http:
        for bed_id, provider, region in BEDS:
            async with app.state.runtime.uow() as uow:
                await handle_bed_event(uow, bed_event(bed_id, provider, region))
                await uow.commit()
        yield http


async def providers(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> set[str]:
    answer = await client.get(
        "/v1/supervision/providers",
        params={"first": T.isoformat(), "last": T.isoformat(), **params},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    return {row["provider_id"] for row in answer.json()["rows"]}


@pytest.mark.parametrize(
    ("region_code", "expected"),
    [
        ("330110", {"prov-yuhang"}),
        ("330111", {"prov-fuyang"}),
        ("330100", {"prov-yuhang", "prov-fuyang", "prov-linping", "prov-shangcheng"}),
        ("330000", {"prov-yuhang", "prov-fuyang", "prov-linping", "prov-shangcheng"}),
        ("341802", {"prov-xuanzhou"}),
    ],
)
async def test_region_filter_is_the_region_and_what_lies_within(
    client: httpx.AsyncClient, region_code: str, expected: set[str]
) -> None:
    ops = principal_headers(Role.OPS, "ops-1")
    assert await providers(client, ops, region_code=region_code) == expected


async def test_an_officer_sees_only_their_regions_whatever_they_ask(
    client: httpx.AsyncClient,
) -> None:
    yuhang = principal_headers(Role.OFFICER, "off-yh", regions=("330110",))
    assert await providers(client, yuhang) == {"prov-yuhang"}
    assert await providers(client, yuhang, region_code="330100") == {"prov-yuhang"}
    assert await providers(client, yuhang, region_code="330111") == set()
    family = await client.get(
        "/v1/supervision/providers",
        params={"first": T.isoformat(), "last": T.isoformat()},
        headers=principal_headers(Role.FAMILY, "fam-1"),
    )
    assert family.status_code == 403
