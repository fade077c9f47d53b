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


def _provider(provider_id: str) -> dict[str, Any]:
    return {
        "id": provider_id,
        "name": f"{provider_id} 居家养老服务中心",
        "licence_no": f"LIC-{provider_id}",
        "jurisdiction": "341800",
        "service_area": ["341800"],
        "contact": {"name": "服务台", "phone": "0563-1234567"},
        "packages": [],
    }


async def _register_providers(gw: RunningGateway, *provider_ids: str) -> None:
    """Applications name registered providers only (issue 10): an officer registers them."""
    officer = gw.bearer(Role.OFFICER, sub="officer-xz", provider_id=None, region_codes=["341800"])
    for provider_id in provider_ids:
        created = await gw.client.post(
            "/v1/providers", json=_provider(provider_id), headers=officer
        )
        assert created.status_code in (201, 409), created.text


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
        await _register_providers(gw, "prov-a", "prov-b")
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


async def test_the_provider_register_is_public_but_its_writes_are_not(
    gateway_factory: GatewayFactory, intake: UvicornProcess
) -> None:
    upstreams = default_upstreams() | {"intake": UpstreamSettings(url=intake.url)}
    async with gateway_factory(intake.url, upstreams=upstreams, routes=None) as gateway:
        gw: RunningGateway = gateway
        await _register_providers(gw, "prov-a")
        listed = await gw.client.get("/v1/providers", params={"jurisdiction": "341800"})
        assert listed.status_code == 200, listed.text
        assert "prov-a" in {p["id"] for p in listed.json()["items"]}
        assert (await gw.client.get("/v1/providers/prov-a")).status_code == 200
        anonymous = await gw.client.post("/v1/providers", json=_provider("prov-x"))
        assert anonymous.status_code == 401
        family = gw.bearer(Role.FAMILY, sub="family-1", provider_id=None)
        refused = await gw.client.post("/v1/providers", json=_provider("prov-x"), headers=family)
        assert refused.status_code == 403
        suspend = await gw.client.post(
            "/v1/providers/prov-a/suspend", json={"reason": "x"}, headers=family
        )
        assert suspend.status_code == 403


async def test_no_existence_oracle_and_private_audit_through_the_gateway(
    gateway_factory: GatewayFactory, intake: UvicornProcess
) -> None:
    """A stranger posting someone's ID number gets the answer any new elder gets (issue 10 #9);
    the elder's PII read audit is not theirs to read (#12)."""
    upstreams = default_upstreams() | {"intake": UpstreamSettings(url=intake.url)}
    async with gateway_factory(intake.url, upstreams=upstreams, routes=None) as gateway:
        gw: RunningGateway = gateway
        await _register_providers(gw, "prov-a")
        owner = gw.bearer(Role.FAMILY, sub="family-owner", provider_id=None)
        body = {**_application("prov-a"), "id_number": _id_number(birth="19410101")}
        body["birth_date"] = "1941-01-01"
        first = await gw.client.post("/v1/applications", json=body, headers=owner)
        assert first.status_code == 201, first.text
        assert (
            await gw.client.post("/v1/applications", json=body, headers=owner)
        ).status_code == 409

        stranger = gw.bearer(Role.ELDER, sub="stranger", provider_id=None)
        probe = await gw.client.post("/v1/applications", json=body, headers=stranger)
        assert probe.status_code == 201, probe.text
        assert probe.json()["duplicate_of"] is None
        assert probe.json()["status"] == "draft"

        audit = f"/v1/elders/{first.json()['elder_id']}/pii-audit"
        assert (await gw.client.get(audit, headers=owner)).status_code == 200
        assert (await gw.client.get(audit, headers=stranger)).status_code == 404
        linked = await gw.client.post(
            "/v1/applications/link", json={"code": "ABCDEFGHJK"}, headers=stranger
        )
        assert linked.status_code == 422
