"""Shared helpers for the intake tests: valid ID numbers, a settable clock, the app over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from stdnum.iso7064 import mod_11_2

from chassis.clock import ManualClock
from chassis.testing.principals import principal_headers
from intake.bootstrap import create_app
from intake.settings import Settings


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


@pytest.fixture
async def app(database_url: str, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(intake_settings(database_url), clock=clock)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http
