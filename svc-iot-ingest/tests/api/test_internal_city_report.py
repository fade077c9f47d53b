"""The internal read svc-reporting calls for 000 附件1 智能化设备: a provider's active devices per
bed and type at the end of the report day; only the service principal (role ops + scope
city_report) may call it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from iot_ingest.testing import Iot

ROUTE = "/internal/v1/city-report/devices"


def as_principal(**claims: Any) -> dict[str, str]:
    return {PRINCIPAL_HEADER: mint_internal_token(Principal(**claims), DEV_INTERNAL_TOKEN_KEY)}


def service() -> dict[str, str]:
    return as_principal(sub="svc-reporting", role=Role.OPS, scopes=("city_report",))


async def test_devices_per_bed_and_type(iot: Iot) -> None:
    first = await iot.add_bed("bed-a")
    second = await iot.add_bed("bed-b")
    await iot.add_device(first, "smoke")
    await iot.add_device(first, "smoke")
    await iot.add_device(first, "emergency_button")
    await iot.add_device(second, "fall_detector")
    stranger = await iot.add_bed("bed-x", provider_id="p2")
    await iot.add_device(stranger, "gas", provider_id="p2")

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    answer = await iot.client.get(
        ROUTE, params={"provider_id": "p1", "day": today.isoformat()}, headers=service()
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["devices"] == [
        {"bed_id": "bed-a", "device_type": "emergency_button", "count": 1},
        {"bed_id": "bed-a", "device_type": "smoke", "count": 2},
        {"bed_id": "bed-b", "device_type": "fall_detector", "count": 1},
    ]
    # the day before they were registered: none
    yesterday = (today - timedelta(days=1)).isoformat()
    before = await iot.client.get(
        ROUTE, params={"provider_id": "p1", "day": yesterday}, headers=service()
    )
    assert before.json()["devices"] == []


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"sub": "ops-1", "role": Role.OPS}, 403),
        (
            {
                "sub": "admin-1",
                "role": Role.PROVIDER_ADMIN,
                "provider_id": "p1",
                "scopes": ("city_report",),
            },
            403,
        ),
        ({"sub": "admin-1", "role": Role.PROVIDER_ADMIN, "provider_id": "p1"}, 403),
        ({"sub": "off-1", "role": Role.OFFICER, "region_codes": ("330100",)}, 403),
        ({"sub": "fam-1", "role": Role.FAMILY}, 403),
        (None, 401),
    ],
)
async def test_only_the_service_principal_may_call(
    iot: Iot, claims: dict[str, Any] | None, status: int
) -> None:
    headers = as_principal(**claims) if claims else {}
    answer = await iot.client.get(
        ROUTE, params={"provider_id": "p1", "day": "2026-03-02"}, headers=headers
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
