"""Shared helpers for the intake tests: valid ID numbers, a settable clock, the app over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from stdnum.iso7064 import mod_11_2

from chassis.clock import ManualClock
from chassis.principal import Role
from chassis.testing.principals import principal_headers
from intake.bootstrap import create_app
from intake.settings import Settings
from intake.testing import accept_through_workflow, grant_consents


def build_id(region: str, birth: str, sequence: str = "002") -> str:
    """A structurally valid 18-digit number: region + YYYYMMDD + sequence + check digit."""
    body = f"{region}{birth}{sequence}"
    return body + mod_11_2.calc_check_digit(body)


@pytest.fixture
def make_id() -> Callable[..., str]:
    return build_id


@pytest.fixture
def clock() -> ManualClock:
    """A clock the test moves: acceptance needs a month of service, deadlines need dates."""
    return ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    """`auth(Role.OFFICER, "off-1", regions=("341800",))` -> headers with a signed principal."""
    return principal_headers


def application_body(id_number: str, **changes: Any) -> dict[str, Any]:
    """A complete Xuancheng (341800) application of an elder living in 宣州区 (341802)."""
    body: dict[str, Any] = {
        "jurisdiction": "341800",
        "provider_id": "prov-a",
        "name": "张桂英",
        "sex": "female",
        "birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
        "ethnicity": "汉族",
        "id_number": id_number,
        "social_security_no": "S1234567890",
        "marital_status": "widowed",
        "literacy": "literate",
        "hukou_address": {"region_code": "341802", "detail": "鳌峰街道 梅园路 5 号 302 室"},
        "current_address": {"region_code": "341802", "detail": "鳌峰街道 梅园路 5 号 302 室"},
        "ltc_assessment_level": None,
        "receives_ltc_services": False,
        "caregiver": {"name": "李强", "relation": "son", "phone": "13800138000"},
        "emergency_contact": {"name": "李娟", "relation": "daughter", "phone": "13900139001"},
        "in_pilot_area": True,
        "has_stable_caregiver": True,
        "is_renter": False,
        "economic_status": "dibao",
    }
    body.update(changes)
    return body


@pytest.fixture
def new_application() -> Callable[..., dict[str, Any]]:
    return application_body


def intake_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_enabled": False,
        "auto_migrate": True,
        "log_json": False,
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    """`settings_for(database_url, kafka_enabled=True, ...)` -> intake Settings for a test."""
    return intake_settings


# Every region the tests' elders live in, and the fees their contracts use (all filed).
TEST_SERVICE_AREA = ["341800", "310105", "330100", "330326", "110105"]
TEST_FEES_FEN = (50_000, 80_000, 90_000, 100_000)


def provider_body(provider_id: str, **changes: Any) -> dict[str, Any]:
    """A registered provider (`POST /v1/providers`) serving every region the tests use."""
    body: dict[str, Any] = {
        "id": provider_id,
        "name": f"{provider_id} 居家养老服务中心",
        "licence_no": f"LIC-{provider_id}",
        "jurisdiction": "341800",
        "service_area": TEST_SERVICE_AREA,
        "contact": {"name": "服务台", "phone": "0563-1234567"},
        "packages": [
            {
                "code": f"base-{fee // 100}",
                "name": f"基础包 {fee // 100} 元",
                "monthly_fee_fen": fee,
                "filing_ref": f"宣民备〔2026〕{fee // 1000}号",
                "filed_on": "2026-01-05",
            }
            for fee in TEST_FEES_FEN
        ],
    }
    body.update(changes)
    return body


@pytest.fixture
def new_provider() -> Callable[..., dict[str, Any]]:
    return provider_body


async def register_providers(app: FastAPI, *provider_ids: str) -> None:
    """Register providers the way an officer of Xuancheng would (through the API)."""
    officer = principal_headers(Role.OFFICER, "officer-registry", regions=("341800",))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        for provider_id in provider_ids:
            created = await http.post(
                "/v1/providers", json=provider_body(provider_id), headers=officer
            )
            assert created.status_code == 201, created.text


XUANCHENG_ASSESSMENT = {
    "scale": "ability_4",
    "ability_level": "moderate",
    "assessor": "评估员王",
    "assessed_on": "2026-03-01",
}


async def submit_and_assess(
    client: httpx.AsyncClient,
    app_id: str,
    *,
    applicant: dict[str, str],
    officer: dict[str, str],
    **assessment: Any,
) -> httpx.Response:
    """Submit as the applicant, assess as the officer (moderate, Xuancheng scale by default)."""
    submitted = await client.post(f"/v1/applications/{app_id}/submit", headers=applicant)
    assert submitted.status_code == 200, submitted.text
    return await client.post(
        f"/v1/applications/{app_id}/assessment",
        json={**XUANCHENG_ASSESSMENT, **assessment},
        headers=officer,
    )


@pytest.fixture
def accept_bed() -> Callable[..., Awaitable[httpx.Response]]:
    """`await accept_bed(client, bed_id, provider=h, officer=h, on="2026-04-02")`."""
    return accept_through_workflow


@pytest.fixture
def consents() -> Callable[..., Awaitable[None]]:
    """`await consents(client, bed_id, staff_headers)`: every consent scope granted."""
    return grant_consents


@pytest.fixture
def submit_assess() -> Callable[..., Awaitable[httpx.Response]]:
    """`await submit_assess(client, app_id, applicant=headers, officer=headers)`."""
    return submit_and_assess


@pytest.fixture
def provider_registry() -> Callable[..., Awaitable[None]]:
    """`await provider_registry(app, "prov-a")`: for tests that build their own app."""
    return register_providers


@pytest.fixture
async def app(database_url: str, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(intake_settings(database_url), clock=clock)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        await register_providers(application, "prov-a", "prov-b")
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http
