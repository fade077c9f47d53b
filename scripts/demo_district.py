"""make demo's driver: a simulated district, a month of it, through the platform's front doors.

Three providers in the three jurisdictions the policy files know (Xuancheng 341800, Changning
310105, Pingyang 330326): families apply (some are refused, with the officer's reasons), officers
assess and review, providers sign contracts, install and register devices, beds are established;
caregivers and nurses visit every day with check-in locations (a few out of range, a few days
missed); devices stream vitals; falls and one gas leak are raised and handled (some late); a
hospital discharges a patient into a bed and a bed is transferred to a nursing home; the reporter
pushes T+1 to the city-platform stub every night; at month-end an officer prepares the subsidy
settlement and a second officer approves it. The summary is read back from the services' APIs.

Everything goes through the gateway with each role's token (minted by the gateway's dev issuer,
as `python -m gateway.cli mint-token` does), except devices, which post to iot-ingest's device
lanes with their device tokens, exactly as real devices do.

Time is the demo clock (chassis.clock.DemoClock, HOMEBED_DEMO_CLOCK): this driver moves it
forward at different rates (fast through nights, slow while people work and alarms run) and
every service reads the same schedule file. It never goes back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from stdnum.iso7064 import mod_11_2

from chassis.clock import SHANGHAI, DemoClock, schedule_rate, start_demo_clock
from chassis.principal import Role
from gateway.auth import dev_issuer
from gateway.settings import GatewaySettings
from iot_ingest.sim.model import BedSimulator

# --- the district -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    city: str
    home_region: str  # where its elders live (a street code where the policy needs one)
    street: str
    centre: tuple[float, float]  # lat, lon of the provider's service area


JURISDICTIONS = (
    Jurisdiction("341800", "宣城市", "341802", "鳌峰街道 梅园路", (30.9407, 118.7589)),
    Jurisdiction("310105", "上海市长宁区", "310105006001", "愚园路", (31.2203, 121.4241)),
    Jurisdiction("330326", "平阳县", "330326", "昆阳镇 解放路", (27.6618, 120.5650)),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("秀兰", "桂英", "玉珍", "凤英", "淑珍", "建国", "国华", "德明", "桂芳", "志强", "秀英", "美华")
FEE_FEN = 80_000  # every provider files one base package of 800 yuan a month


@dataclass
class Provider:
    id: str
    jurisdiction: Jurisdiction
    name: str
    workers: list[dict[str, Any]] = field(default_factory=list)  # {"id", "sub", "role", "name"}


@dataclass
class Bed:
    provider: Provider
    application_id: str
    name: str
    bed_id: str = ""
    location: tuple[float, float] = (0.0, 0.0)
    devices: dict[str, str] = field(default_factory=dict)  # device type -> device token
    plan: list[dict[str, Any]] = field(default_factory=list)
    simulator: BedSimulator | None = None
    ended: bool = False


@dataclass
class Tally:
    """What the driver did (shown while it runs; the summary reads the services instead)."""

    counts: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    surprises: list[str] = field(default_factory=list)  # a service refused something legitimate


# --- talking to the platform --------------------------------------------------------------------


class Refused(RuntimeError):
    """The platform answered an error where the driver expected success."""


class Platform:
    """The gateway with a token per person, iot-ingest's device lanes, the city-platform stub."""

    def __init__(self, args: argparse.Namespace) -> None:
        settings = GatewaySettings()
        self.issuer = dev_issuer.load_or_create(settings.dev_issuer_dir)
        self.audience = settings.jwt_audience
        limits = httpx.Limits(max_connections=32)
        self.gateway = httpx.AsyncClient(base_url=args.gateway, timeout=60, limits=limits)
        self.alarm_lane = httpx.AsyncClient(base_url=args.alarm_lane, timeout=60, limits=limits)
        self.telemetry_lane = httpx.AsyncClient(base_url=args.telemetry_lane, timeout=60)
        self.stub = httpx.AsyncClient(base_url=args.city_platform, timeout=60)
        self._tokens: dict[tuple[Any, ...], str] = {}
        self.gate = asyncio.Semaphore(args.concurrency)

    async def close(self) -> None:
        for client in (self.gateway, self.alarm_lane, self.telemetry_lane, self.stub):
            await client.aclose()

    def token(
        self,
        role: Role,
        sub: str,
        *,
        provider_id: str | None = None,
        regions: tuple[str, ...] = (),
    ) -> dict[str, str]:
        key = (role, sub, provider_id, regions)
        if key not in self._tokens:
            self._tokens[key] = self.issuer.mint(
                sub=sub,
                role=role,
                provider_id=provider_id,
                region_codes=regions,
                audience=self.audience,
                ttl_seconds=12 * 3600,
            )
        return {"Authorization": f"Bearer {self._tokens[key]}"}

    async def call(
        self,
        method: str,
        path: str,
        who: dict[str, str],
        *,
        expect: Iterable[int] = (200, 201),
        client: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        async with self.gate:
            response = await (client or self.gateway).request(method, path, headers=who, **kwargs)
        if response.status_code not in set(expect):
            raise Refused(f"{method} {path} -> {response.status_code}: {response.text[:600]}")
        return response

    async def json(self, method: str, path: str, who: dict[str, str], **kwargs: Any) -> Any:
        return (await self.call(method, path, who, **kwargs)).json()


async def eventually(
    attempt: Callable[[], Awaitable[Any]],
    until: Callable[[Any], bool],
    *,
    within: float,
    what: str,
    interval: float = 0.2,
) -> Any:
    """Poll until a condition holds (events take a moment through Kafka)."""
    deadline = time.monotonic() + within
    last: Any = None
    while True:
        try:
            last = await attempt()
            if until(last):
                return last
        except Refused as refused:
            last = refused
        if time.monotonic() > deadline:
            raise Refused(f"{what}: not within {within:.0f} s (last: {last})")
        await asyncio.sleep(interval)


def id_number(region: str, birth: date, sequence: int, sex: str) -> str:
    odd = sequence % 500 * 2 + (1 if sex == "male" else 0)
    body = f"{region[:6]}{birth:%Y%m%d}{odd:03d}"
    return body + mod_11_2.calc_check_digit(body)


def offset(centre: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    lat, lon = centre
    return (
        lat + north_m / 111_320,
        lon + east_m / (111_320 * math.cos(math.radians(lat))),
    )
