"""Cross-tenant access to intake objects through the gateway: the real svc-intake under uvicorn,
people tokens at the edge; another tenant's application answers 404, like a missing one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stdnum.iso7064 import mod_11_2

from chassis.principal import Role
from gateway.settings import UpstreamSettings, default_upstreams
from gateway.testing.harness import GatewayFactory, RunningGateway
from gateway.testing.servers import UvicornProcess


def _id_number(region: str = "341802", birth: str = "19400501", sequence: str = "002") -> str:
    body = f"{region}{birth}{sequence}"
    return body + mod_11_2.calc_check_digit(body)


def _application(provider_id: str) -> dict[str, Any]:
    id_number = _id_number()
    address = {"region_code": "341802", "detail": "鳌峰街道 梅园路 5 号 302 室"}
    return {
        "jurisdiction": "341800",
        "provider_id": provider_id,
        "name": "张桂英",
        "sex": "female",
        "birth_date": "1940-05-01",
        "ethnicity": "汉族",
        "id_number": id_number,
        "social_security_no": "S1234567890",
        "marital_status": "widowed",
        "literacy": "literate",
        "hukou_address": address,
        "current_address": address,
        "ltc_assessment_level": None,
        "receives_ltc_services": False,
        "caregiver": {"name": "李强", "relation": "son", "phone": "13800138000"},
        "emergency_contact": {"name": "李娟", "relation": "daughter", "phone": "13900139001"},
        "in_pilot_area": True,
        "has_stable_caregiver": True,
        "is_renter": False,
        "economic_status": "dibao",
    }


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UvicornProcess]:
    directory: Path = tmp_path_factory.mktemp("intake")
    process = UvicornProcess(
        "intake.main:app",
        env={
            "HOMEBED_INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{directory}/intake.db",
            "HOMEBED_INTAKE_KAFKA_ENABLED": "false",
            "HOMEBED_INTAKE_LOG_JSON": "false",
        },
        log_file=directory / "intake.log",
    ).start()
    try:
        yield process
    finally:
        process.stop()


async def test_another_tenants_application_is_404_through_the_gateway(
    gateway_factory: GatewayFactory, intake: UvicornProcess
) -> None:
    upstreams = default_upstreams() | {"intake": UpstreamSettings(url=intake.url)}
    async with gateway_factory(intake.url, upstreams=upstreams, routes=None) as gateway:
        gw: RunningGateway = gateway
        family = gw.bearer(Role.FAMILY, sub="family-1", provider_id=None)
        created = await gw.client.post(
            "/v1/applications", json=_application("prov-a"), headers=family
        )
        assert created.status_code == 201, created.text
        application = f"/v1/applications/{created.json()['id']}"

        own_admin = gw.bearer(Role.PROVIDER_ADMIN, sub="admin-a", provider_id="prov-a")
        assert (await gw.client.get(application, headers=family)).status_code == 200
        assert (await gw.client.get(application, headers=own_admin)).status_code == 200

        strangers = {
            "other provider's admin": gw.bearer(
                Role.PROVIDER_ADMIN, sub="admin-b", provider_id="prov-b"
            ),
            "other provider's caregiver": gw.bearer(
                Role.CAREGIVER, sub="carer-b", provider_id="prov-b"
            ),
            "another family": gw.bearer(Role.FAMILY, sub="family-2", provider_id=None),
            "officer of another region": gw.bearer(
                Role.OFFICER, sub="officer-hz", provider_id=None, region_codes=["330102"]
            ),
        }
        for who, headers in strangers.items():
            response = await gw.client.get(application, headers=headers)
            assert response.status_code == 404, who
            assert response.headers["content-type"] == "application/problem+json"
            assert "张桂英" not in response.text
