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

from chassis.clock import SHANGHAI, DemoClock, plan_run, start_demo_clock
from chassis.principal import Role
from gateway.auth import dev_issuer
from gateway.auth.hmac_partner import authorization_header
from gateway.cli import open_store
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
GIVEN = (
    "秀兰",
    "桂英",
    "玉珍",
    "凤英",
    "淑珍",
    "建国",
    "国华",
    "德明",
    "桂芳",
    "志强",
    "秀英",
    "美华",
)
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
    applicant: str = ""  # the family member who applied: the one who answers its surveys


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
        # uvicorn closes an idle keep-alive connection after 5 s, httpx's default expiry: a request
        # sent on one as the server closes it gets "Server disconnected without sending a
        # response". Expiring ours first leaves no such race (a full month died on it once).
        limits = httpx.Limits(max_connections=32, keepalive_expiry=2.0)
        lanes = httpx.Limits(keepalive_expiry=2.0)
        self.gateway = httpx.AsyncClient(base_url=args.gateway, timeout=60, limits=limits)
        self.alarm_lane = httpx.AsyncClient(base_url=args.alarm_lane, timeout=60, limits=limits)
        self.telemetry_lane = httpx.AsyncClient(
            base_url=args.telemetry_lane, timeout=60, limits=lanes
        )
        self.stub = httpx.AsyncClient(base_url=args.city_platform, timeout=60, limits=lanes)
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
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        # A GET, or a POST the service dedupes by its Idempotency-Key, is repeated when its
        # answer was lost (a dropped connection, or the gateway's 502/503/504 on a loaded box),
        # as a phone app syncing would: the same key, so it is applied once.
        retryable = method == "GET" or idempotency_key is not None
        headers = dict(who)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        for attempt in range(4):
            try:
                async with self.gate:
                    response = await (client or self.gateway).request(
                        method, path, headers=headers, **kwargs
                    )
            except httpx.TransportError as error:  # a loaded box drops a connection now and then
                if not retryable or attempt == 3:
                    raise Refused(f"{method} {path}: {error!r}") from error
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            if retryable and response.status_code in LOST_ANSWER and attempt < 3:
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            break
        if response.status_code not in set(expect):
            raise Refused(f"{method} {path} -> {response.status_code}: {response.text[:600]}")
        return response

    async def json(self, method: str, path: str, who: dict[str, str], **kwargs: Any) -> Any:
        return (await self.call(method, path, who, **kwargs)).json()


LOST_ANSWER = (502, 503, 504)  # the gateway's answers when an upstream's answer did not come


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


# --- simulated time -----------------------------------------------------------------------------


class SimTime:
    """The demo clock as the driver reads and moves it (the services read the same file)."""

    def __init__(self, path: Path, fast: float) -> None:
        self.path = path
        self.fast = fast
        self._clock = DemoClock(path, poll_seconds=0)

    def now(self) -> datetime:
        return self._clock()

    def local(self) -> datetime:
        return self.now().astimezone(SHANGHAI)

    async def run_until(
        self, moment: datetime, *, rate: float | None = None, then: float = 0
    ) -> None:
        """Let time run (fast by default) until `moment`, then hold it at `then` (0: held)."""
        reached = plan_run(self.path, until=moment, rate=rate or self.fast, then=then)
        await asyncio.sleep(max(0.0, reached - time.time()) + 0.05)

    async def hold(self) -> None:
        """Stop the clock (people act 'at once'; time never goes back)."""
        reached = plan_run(self.path, until=self.now(), rate=0, then=0)
        await asyncio.sleep(max(0.0, reached - time.time()) + 0.05)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock instant of a simulated day, in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


# --- the people's steps -------------------------------------------------------------------------

ASSESSMENT = {  # jurisdiction -> (scale, eligible level, an ineligible one)
    "341800": ("ability_4", "moderate", "mild"),
    "310105": ("care_needs_0_6", 4, 3),
    "330326": ("ability_4", "moderate", "intact"),
}
REVIEW_LEVELS = {"341800": ("district",), "310105": ("street", "district"), "330326": ("district",)}
OFFICER_REASONS = (
    "户籍核查不符：申请人户籍不在本辖区",
    "入户核查：申请人实际居住在子女家中，不在申请地址",
    "家庭照护人无法确认，待补充材料后重新申请",
)


class District:
    def __init__(self, platform: Platform, sim: SimTime, args: argparse.Namespace) -> None:
        self.p = platform
        self.sim = sim
        self.args = args
        self.run = args.run_id
        self.rng = random.Random(args.seed)
        self.id_base = int(self.run, 16) % 400  # another run's elders are other people
        self.providers: list[Provider] = []
        self.beds: list[Bed] = []
        self.tally = Tally()
        self.phase = "opening"
        self.day = 0

    # tokens, per person
    def officer(self, j: Jurisdiction, second: bool = False) -> dict[str, str]:
        sub = f"officer-{'b' if second else 'a'}-{j.code}"
        return self.p.token(Role.OFFICER, sub, regions=(j.code,))

    def admin(self, provider: Provider) -> dict[str, str]:
        return self.p.token(Role.PROVIDER_ADMIN, f"admin-{provider.id}", provider_id=provider.id)

    def family(self, bed: Bed) -> dict[str, str]:
        return self.p.token(Role.FAMILY, bed.applicant)

    def worker(self, provider: Provider, worker: dict[str, Any]) -> dict[str, str]:
        return self.p.token(Role.CAREGIVER, worker["sub"], provider_id=provider.id)

    def ops(self) -> dict[str, str]:
        return self.p.token(Role.OPS, "ops-demo")

    async def register_providers(self) -> None:
        names = ("颐和居家养老服务中心", "安康家庭养老服务站", "福寿康养联合体")
        for j, name in zip(JURISDICTIONS, names, strict=True):
            provider = Provider(f"P-{j.code}-{self.run}", j, f"{j.city}{name}")
            body = {
                "id": provider.id,
                "name": provider.name,
                "licence_no": f"LIC-{provider.id}",
                "jurisdiction": j.code,
                "service_area": [j.code],
                "contact": {"name": "服务台", "phone": "0563-1234567"},
                "packages": [
                    {
                        "code": "base",
                        "name": "基础包",
                        "monthly_fee_fen": FEE_FEN,
                        "filing_ref": f"民备〔2026〕{j.code[-2:]}号",
                        "filed_on": (self.args.start - timedelta(days=30)).isoformat(),
                    }
                ],
            }
            await self.p.call("POST", "/v1/providers", self.officer(j), json=body)
            self.providers.append(provider)
            self.tally.counts["providers"] += 1

    def application_body(
        self, provider: Provider, n: int, *, under_80: bool
    ) -> tuple[dict[str, Any], str]:
        j = provider.jurisdiction
        sex = self.rng.choice(("female", "male"))
        year = self.args.start.year
        # 80 and over is eligible in Xuancheng whatever the assessment (001 §四(一))
        born = (
            self.rng.randint(year - 79, year - 61)
            if under_80
            else self.rng.randint(year - 92, year - 61)
        )
        birth = date(born, self.rng.randint(1, 12), self.rng.randint(1, 28))
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        home = f"{j.street} {n + 1} 号"
        body = {
            "jurisdiction": j.code,
            "provider_id": provider.id,
            "name": name,
            "sex": sex,
            "birth_date": birth.isoformat(),
            "ethnicity": "汉族",
            "id_number": id_number(j.home_region, birth, n + self.id_base, sex),
            "social_security_no": f"S{n:010d}",
            "marital_status": "widowed",
            "literacy": "literate",
            "hukou_address": {"region_code": j.home_region[:6], "detail": home},
            "current_address": {"region_code": j.home_region, "detail": home},
            "ltc_assessment_level": None,
            "receives_ltc_services": False,
            "caregiver": {"name": "李强", "relation": "son", "phone": "13800138000"},
            "emergency_contact": {"name": "李娟", "relation": "daughter", "phone": "13900139001"},
            "in_pilot_area": True,
            "has_stable_caregiver": True,
            "is_renter": False,
            "economic_status": self.rng.choice(("dibao", "dibian", "other", "other")),
        }
        return body, name

    async def apply(self, provider: Provider, n: int) -> Bed | None:
        """One family's application, the officer's assessment and review; None when refused."""
        j = provider.jurisdiction
        roll = self.rng.random()
        refused = roll < self.args.officer_refusals + self.args.ineligible
        body, name = self.application_body(provider, n, under_80=refused)
        bed = Bed(provider, "", name, applicant=f"family-{self.run}-{j.code}-{n}")
        fam = self.family(bed)
        created = await self.p.json("POST", "/v1/applications", fam, json=body)
        bed.application_id = created["id"]
        await self.p.call("POST", f"/v1/applications/{bed.application_id}/submit", fam)
        self.tally.counts["applications"] += 1
        officer = self.officer(j)
        if roll < self.args.officer_refusals:
            reason = self.rng.choice(OFFICER_REASONS)
            await self.p.call(
                "POST", f"/v1/applications/{bed.application_id}/reject", officer,
                json={"reason": reason},
            )  # fmt: skip
            self.tally.refusals[reason] += 1
            return None
        scale, eligible, ineligible = ASSESSMENT[j.code]
        level = ineligible if refused else eligible
        assessment: dict[str, Any] = {
            "scale": scale,
            "assessor": "评估员",
            "assessed_on": self.sim.local().date().isoformat(),
            ("ability_level" if scale == "ability_4" else "care_needs_level"): level,
        }
        path = f"/v1/applications/{bed.application_id}"
        await self.p.call("POST", f"{path}/assessment", officer, json=assessment)
        for k, level_name in enumerate(REVIEW_LEVELS[j.code]):  # the policies' review.levels
            reviewer = self.officer(j, second=k > 0)  # each level is another officer
            answer = await self.p.call(
                "POST", f"{path}/review", reviewer, json={"level": level_name},
                expect=(200, 201, 409),
            )  # fmt: skip
            reviewed = answer.json()
            if answer.status_code == 409:
                # the review cannot approve (the policy's rules unmet): the officer refuses,
                # giving the service's reasons
                reason = "; ".join(reviewed.get("problems") or [reviewed.get("detail", "")])
                await self.p.call("POST", f"{path}/reject", reviewer, json={"reason": reason[:500]})
                self.tally.refusals[reason] += 1
                if level == eligible:
                    self.tally.surprises.append(f"an eligible elder refused: {reason}")
                return None
        if reviewed["status"] != "approved":
            self.tally.surprises.append(f"review of an {level} elder: {reviewed['status']}")
            return None
        if level != eligible:
            self.tally.surprises.append(f"an {level} elder approved in {j.code}")
        bed.bed_id = reviewed["bed_id"]
        self.tally.counts["approved"] += 1
        return bed

    # --- from approval to an established bed ---------------------------------------------------

    def plan(self, j: Jurisdiction) -> list[dict[str, Any]]:
        """A care plan meeting the jurisdiction's minimums: a nurse's daily visit (001 §四(三)3
        asks for a daily visit and 30 hours a month in Xuancheng; 002 and 004 set none)."""
        daily = {"341800": "home_rounds", "310105": "face_hair_care", "330326": "personal_care"}
        items = [
            {
                "item_id": daily[j.code],
                "times": 1,
                "per": "day",
                "minutes_per_visit": 65,  # 30 hours even in a 28-day month
                "worker_role": "nurse",
            }
        ]
        return items

    async def contract(self, bed: Bed) -> None:
        """Care plan, consents, the service agreement and the installations (the provider)."""
        me = self.admin(bed.provider)
        bed.plan = self.plan(bed.provider.jurisdiction)
        base = f"/v1/beds/{bed.bed_id}"
        await self.p.call("PUT", f"{base}/care-plan", me, json={"items": bed.plan})
        given_at = self.sim.now().isoformat()
        for scope in ("service_agreement", "video_monitoring", "home_modification"):
            consent = {
                "scope": scope,
                "decision": "granted",
                "given_by": "applicant",
                "giver_name": "李强",
                "relation": "son",
                "method": "written",
                "given_at": given_at,
                "evidence_ref": f"scan-{scope}.pdf",
            }
            await self.p.call("POST", f"{base}/consents", me, json=consent)
        today = self.sim.local().date()
        contract = {
            "start": today.isoformat(),
            "end": (today + timedelta(days=365)).isoformat(),
            "base_package_fee_fen": FEE_FEN,
            "package_code": "base",
        }
        await self.p.call("POST", f"{base}/contract", me, json=contract)
        items = {
            "items": [
                {"item_id": "emergency_button", "count": 1},
                {"item_id": "vital_signs_monitor", "count": 1},
                {"item_id": "grab_bar", "count": 2},
            ]
        }
        await self.p.call("PUT", f"{base}/installations", me, json=items)

    async def install_devices(self, bed: Bed, gas: bool) -> None:
        """iot-ingest learns the bed from intake's events; then the installer registers devices."""
        me = self.admin(bed.provider)
        kinds = ["emergency_button", "vital_signs_monitor", "fall_detector"] + (
            ["gas"] if gas else []
        )
        for kind in kinds:
            body = {
                "bed_id": bed.bed_id,
                "device_type": kind,
                "serial": f"SN-{uuid.uuid4().hex[:12]}",
            }
            created = await eventually(
                lambda body=body: self.p.call(  # type: ignore[misc]
                    "POST", "/v1/devices", me, json=body, expect=(201,)
                ),
                until=lambda r: True,
                within=120,
                what=f"iot-ingest knows bed {bed.bed_id}",
                interval=0.5,
            )
            bed.devices[kind] = created.json()["token"]
            self.tally.counts["devices"] += 1
        bed.simulator = BedSimulator(bed.bed_id, random.Random(bed.bed_id))

    async def establish(self, bed: Bed) -> None:
        async def attempt() -> httpx.Response:
            return await self.p.call(
                "POST", f"/v1/beds/{bed.bed_id}/establish", self.admin(bed.provider),
                expect=(200, 409),
            )  # fmt: skip

        def done(answer: httpx.Response) -> bool:
            # a 409 "established" is an earlier attempt that went through while its answer
            # was lost (a gateway timeout on a loaded box): done, not refused
            return answer.status_code == 200 or answer.json().get("state") == "established"

        await eventually(
            attempt,
            until=done,
            within=120,
            what=f"intake confirmed the devices of {bed.bed_id}",
            interval=0.5,
        )
        self.tally.counts["established"] += 1

    async def hire(self, provider: Provider, count: int) -> None:
        me = self.admin(provider)
        for i in range(count):
            sub = f"nurse-{provider.id}-{i}"
            name = self.rng.choice(SURNAMES) + "护士"
            body = {"name": name, "role": "nurse", "certificates": [f"RN-{i:04d}"], "user_sub": sub}
            created = await self.p.json("POST", "/v1/workers", me, json=body)
            worker = {"id": created["id"], "sub": sub, "name": name}
            provider.workers.append(worker)
            # iot-ingest's dispatch list: who alarms may be sent to
            await self.p.call(
                "PUT",
                f"/v1/dispatch-workers/{sub}",
                me,
                json={"display_name": name, "active": True},
            )

    async def roster(self, bed: Bed, index: int) -> None:
        """The bed's location (the EVV reference) and its nurse (service-records)."""
        me = self.admin(bed.provider)
        j = bed.provider.jurisdiction
        angle = self.rng.uniform(0, 2 * math.pi)
        radius = self.rng.uniform(200, 2000)  # homes within 4 km of each other
        bed.location = offset(j.centre, radius * math.cos(angle), radius * math.sin(angle))
        await eventually(
            lambda: self.p.json("GET", f"/v1/roster/{bed.bed_id}", me),
            until=lambda r: r.get("status") == "established",
            within=120,
            what=f"service-records knows {bed.bed_id} is established",
            interval=0.5,
        )
        where = {"latitude": bed.location[0], "longitude": bed.location[1]}
        await self.p.call("PUT", f"/v1/roster/{bed.bed_id}/location", me, json=where)
        nurse = self.nurse_of(bed, index)
        await self.p.call(
            "PUT", f"/v1/roster/{bed.bed_id}/assignees", me, json={"worker_ids": [nurse["id"]]}
        )

    def nurse_of(self, bed: Bed, index: int) -> dict[str, Any]:
        return bed.provider.workers[index % len(bed.provider.workers)]

    # --- the first morning: applications to established beds ------------------------------

    async def open_district(self) -> None:
        await self.register_providers()
        per_provider = self.args.applications // len(self.providers)
        beds_each = per_provider  # at most beds_per_nurse visits a nurse a day
        await asyncio.gather(
            *(
                self.hire(p, max(1, math.ceil(beds_each / self.args.beds_per_nurse)))
                for p in self.providers
            )
        )

        async def one(provider: Provider, n: int) -> None:
            bed = await self.apply(provider, n)
            if bed is None:
                return
            await self.contract(bed)
            self.beds.append(bed)

        await asyncio.gather(*(one(p, n) for p in self.providers for n in range(per_provider)))
        gas_bed = self.beds[0].bed_id if self.beds else ""
        await asyncio.gather(*(self.install_devices(b, b.bed_id == gas_bed) for b in self.beds))
        await asyncio.gather(*(self.establish(b) for b in self.beds))
        for provider in self.providers:
            mine = [b for b in self.beds if b.provider is provider]
            await asyncio.gather(*(self.roster(b, i) for i, b in enumerate(mine)))

    # --- every day: visits, vitals, alarms ---------------------------------------------------

    def active_beds(self) -> list[Bed]:
        return [b for b in self.beds if not b.ended]

    async def visits(self, day: date, first: bool) -> None:
        """The nurses' day, synced from their phones at 18:00: one hour per bed, check-in and
        check-out located by GPS (a few fixes far from the home; a few bed-days missed)."""
        jobs = []
        for provider in self.providers:
            mine = [b for b in self.beds if b.provider is provider]
            for index, bed in enumerate(mine):
                if bed.ended:
                    continue
                if self.rng.random() < self.args.missed_days:
                    self.tally.counts["bed-days missed"] += 1
                    continue
                slot = index // len(provider.workers)
                begin = (
                    # travel time between homes (service-records flags impossible travel)
                    at(day, 11, 30) + timedelta(minutes=75 * slot)
                    if first
                    else (at(day, 8) + timedelta(minutes=90 * slot))
                )
                far = self.rng.random() < self.args.out_of_range
                jobs.append(self.visit(bed, self.nurse_of(bed, index), begin, far))
        await asyncio.gather(*jobs)

    async def visit(self, bed: Bed, nurse: dict[str, Any], begin: datetime, far: bool) -> None:
        me = self.p.token(Role.CAREGIVER, nurse["sub"], provider_id=bed.provider.id)
        north = self.rng.uniform(600, 900) if far else self.rng.uniform(-40, 40)
        lat, lon = offset(bed.location, north, self.rng.uniform(-40, 40))
        check_in = {"at": begin.isoformat(), "method": "gps",
                    "location": {"lat": lat, "lon": lon, "accuracy_m": 15}}  # fmt: skip
        opened = await self.p.json(
            "POST", "/v1/visits", me,
            json={"bed_id": bed.bed_id, "check_in": check_in, "items": [bed.plan[0]["item_id"]],
                  "caregiver_present": True},
            idempotency_key=f"visit-{bed.bed_id}-{begin.isoformat()}",
        )  # fmt: skip
        end = begin + timedelta(minutes=65 + self.rng.randint(0, 4))
        lat, lon = offset(bed.location, self.rng.uniform(-40, 40), self.rng.uniform(-40, 40))
        check_out = {"at": end.isoformat(), "method": "gps",
                     "location": {"lat": lat, "lon": lon, "accuracy_m": 15}}  # fmt: skip
        closed = await self.check_out(me, opened["id"], check_out)
        self.tally.counts["visits"] += 1
        if closed["status"] != "verified":
            self.tally.counts[f"visits {closed['status']}"] += 1

    async def check_out(
        self, me: dict[str, str], visit_id: str, check_out: dict[str, Any]
    ) -> dict[str, Any]:
        """A check-out whose answer was lost may have been applied: the visit says."""
        path = f"/v1/visits/{visit_id}"
        for attempt in range(4):
            answer = await self.p.call(
                "POST", f"{path}/check-out", me, json={"check_out": check_out},
                expect=(200, *LOST_ANSWER),
            )  # fmt: skip
            if answer.status_code == 200:
                result: dict[str, Any] = answer.json()
                return result
            visit: dict[str, Any] = await self.p.json("GET", path, me)
            if visit.get("check_out") is not None:
                return visit
            await asyncio.sleep(0.5 * (attempt + 1))
        raise Refused(f"POST {path}/check-out: no answer after 4 attempts")

    async def vitals(self) -> None:
        """Each home's vital-signs monitor sends its latest readings (the telemetry lane)."""
        now = self.sim.now()

        async def send(bed: Bed) -> None:
            assert bed.simulator is not None
            readings = bed.simulator.vitals(now - timedelta(minutes=4), 4, timedelta(minutes=1))
            token = {"Authorization": f"Bearer {bed.devices['vital_signs_monitor']}"}
            await self.p.call(
                "POST", "/v1/telemetry", token, json={"readings": readings},
                expect=(202,), client=self.p.telemetry_lane,
            )  # fmt: skip
            self.tally.counts["vital readings"] += len(readings)

        await asyncio.gather(*(send(b) for b in self.active_beds()))

    async def raise_event(self, bed: Bed, device: str, kind: str) -> dict[str, Any]:
        """The device posts its event to the alarm lane; the provider sees the alarm."""
        assert bed.simulator is not None
        token = {"Authorization": f"Bearer {bed.devices[device]}"}
        body = {
            "seq": bed.simulator._next_seq(device),
            "ts": self.sim.now().isoformat(),
            "kind": kind,
        }
        await self.p.call(
            "POST", "/v1/device-events", token, json=body, expect=(200, 201, 202),
            client=self.p.alarm_lane,
        )  # fmt: skip
        me = self.admin(bed.provider)
        page = await eventually(
            lambda: self.p.json(
                "GET", "/v1/alarms", me, params={"bed_id": bed.bed_id, "active": "true"}
            ),
            until=lambda page: page["total"] > 0,
            within=30,
            what=f"the {kind} alarm of {bed.bed_id}",
        )
        self.tally.counts[f"alarms {kind}"] += 1
        self.tally.counts["alarms raised"] += 1
        alarm: dict[str, Any] = page["items"][0]
        return alarm

    async def respond(self, bed: Bed, alarm: dict[str, Any], nurse: dict[str, Any]) -> None:
        me = self.admin(bed.provider)
        base = f"/v1/alarms/{alarm['alarm_id']}"
        await self.p.call("POST", f"{base}/acknowledge", me)
        await self.p.call("POST", f"{base}/dispatch", me, json={"assignee": nurse["sub"]})

    async def arrive(
        self, bed: Bed, alarm: dict[str, Any], nurse: dict[str, Any], outcome: str
    ) -> None:
        me = self.p.token(Role.CAREGIVER, nurse["sub"], provider_id=bed.provider.id)
        base = f"/v1/alarms/{alarm['alarm_id']}"
        lat, lon = bed.location
        await self.p.call("POST", f"{base}/arrive", me, json={"lat": lat, "lon": lon})
        await self.p.call(
            "POST", f"{base}/resolve", me, json={"outcome": outcome, "note": "到场处置完毕"}
        )

    async def alarms(self, day: date, gas_day: bool) -> None:
        """Falls in the evening (and the gas leak once): acknowledged and dispatched at once,
        the nurse on site 6 minutes later, or 20 (late: past 001 §四(三)2's 15 minutes)."""
        beds = self.active_beds()
        victims = self.rng.sample(beds, min(len(beds), self.args.falls_per_day))
        raised = self.sim.now()
        incidents = []
        for bed in victims:
            alarm = await self.raise_event(bed, "fall_detector", "fall_detected")
            late = self.rng.random() < self.args.late_share
            incidents.append((bed, alarm, late, "handled_on_site"))
        if gas_day:
            bed = next(b for b in beds if "gas" in b.devices)
            incidents.append(
                (bed, await self.raise_event(bed, "gas", "gas"), False, "handled_on_site")
            )
        nurses = {id(b): self.nurse_of(b, self.beds.index(b)) for b, *_ in incidents}
        await asyncio.gather(*(self.respond(b, a, nurses[id(b)]) for b, a, _, _ in incidents))
        for late, minutes in ((False, 6), (True, 20)):
            group = [(b, a, o) for b, a, is_late, o in incidents if is_late is late]
            if not group:
                continue
            await self.sim.run_until(raised + timedelta(minutes=minutes), rate=300)
            await asyncio.gather(*(self.arrive(b, a, nurses[id(b)], o) for b, a, o in group))
            self.tally.counts["alarms late" if late else "alarms on time"] += len(group)

    async def night(self, day: date) -> None:
        """To the next evening: fast, slower around 01:00 when T+1 goes to the city platform
        (its stub checks signatures' timestamps to 5 minutes)."""
        following = day + timedelta(days=1)
        self.phase = "night: T+1 to the city platform at 01:00"
        await self.sim.run_until(at(following, 0, 55), then=1200)
        await self.sim.run_until(at(following, 2), rate=1200, then=0)

    async def reports_delivered(self) -> None:
        """The last night's reports: time runs at a minute a second until every batch is
        acknowledged (a refused attempt is retried on the reporter's schedule)."""
        self.phase = "month-end: the last T+1 batches"
        plan_run(self.sim.path, until=self.sim.now(), rate=0, then=60)

        async def pending() -> int:
            rows = []
            for provider in self.providers:
                rows += await self.p.json(
                    "GET", "/v1/city-reports", self.ops(), params={"provider_id": provider.id}
                )
            last = (self.args.start + timedelta(days=self.args.days - 1)).isoformat()
            done = {r["provider_id"] for r in rows if r["report_date"] == last}
            open_rows = [r for r in rows if r["status"] != "acknowledged"]
            return len(open_rows) + len(self.providers) - len(done)

        await eventually(pending, until=lambda n: n == 0, within=120, what="T+1 acknowledged")
        await self.sim.hold()

    # --- referrals (转介转养, issue 13) ---------------------------------------------------------

    async def partner_hospital(self) -> tuple[str, bytes]:
        """The hospital's API key, as an operator issues it (`python -m gateway.cli partner-key
        create`): stored sealed in the gateway's database, the secret handed over once."""
        store = open_store(GatewaySettings())
        try:
            await store.create_schema()
            created = await store.create(
                partner_id=f"H-341802-{self.run}", name="宣城市人民医院", region_codes=("341800",)
            )
        finally:
            await store.dispose()
        return created.info.key_id, created.secret.encode()

    async def signed(self, key: tuple[str, bytes], method: str, path: str, body: Any) -> Any:
        raw = json.dumps(body, ensure_ascii=False).encode()
        header = authorization_header(
            key_id=key[0], secret=key[1], method=method, path=path, query="", body=raw,
            timestamp=int(time.time()),  # the gateway checks it against the wall (5 minutes)
        )  # fmt: skip
        headers = {"Authorization": header, "Content-Type": "application/json"}
        return await self.p.json(method, path, headers, content=raw)

    async def referrals(self) -> None:
        """A hospital discharges a patient home (a pre-filled application for the provider);
        a bed's elder moves to a nursing home (the bed ends with the admission)."""
        xuancheng = self.providers[0]
        me = self.admin(xuancheng)
        today = self.sim.local().date()
        key = await self.partner_hospital()
        discharge = {
            "path": "home_bed",
            "receiver": {"organisation_id": xuancheng.id, "name": xuancheng.name,
                         "kind": "home_bed_provider"},
            "discharge": {"jurisdiction": "341800", "region_code": "341802",
                          "expected_discharge_on": (today + timedelta(days=2)).isoformat(),
                          "follow_up_visit_on": today.isoformat(),
                          "summary": "髋部骨折术后，需居家康复护理"},
        }  # fmt: skip
        inbound = await self.signed(key, "POST", "/v1/referrals", discharge)
        for action in ("receive", "accept"):
            await self.p.call(
                "POST", f"/v1/referrals/{inbound['id']}/actions/{action}", me, json={}
            )
        await eventually(
            lambda: self.p.json("GET", "/v1/discharge-applications", me),
            until=lambda page: page.get("total", len(page.get("items", []))) > 0,
            within=60,
            what="intake's pre-filled discharge application",
        )
        self.tally.counts["referrals in (hospital discharge)"] += 1

        leaving = next(b for b in reversed(self.beds) if b.provider is xuancheng and not b.ended)
        home = f"NH-341802-{self.run}"
        transfer = {
            "path": "nursing_home",
            "bed_id": leaving.bed_id,
            "receiver": {
                "organisation_id": home,
                "name": "宣城市社会福利院",
                "kind": "nursing_home",
            },
            "note": "家属申请转入机构养老",
        }
        outbound = await self.p.json("POST", "/v1/referrals", me, json=transfer)
        nursing_home = self.p.token(Role.PROVIDER_ADMIN, f"admin-{home}", provider_id=home)
        for action, body in (("receive", {}), ("accept", {}), ("start", {}),
                             ("complete", {"day": today.isoformat()})):  # fmt: skip
            await self.p.call(
                "POST", f"/v1/referrals/{outbound['id']}/actions/{action}", nursing_home, json=body
            )
        await eventually(
            lambda: self.p.json("GET", f"/v1/beds/{leaving.bed_id}", me),
            until=lambda bed: bed["status"] not in {"established", "accepted"},
            within=60,
            what="intake ended the transferred bed",
        )
        leaving.ended = True
        self.tally.counts["referrals out (nursing home)"] += 1

    # --- month-end -----------------------------------------------------------------------------

    async def surveys(self) -> None:
        """Families answer the month's surveys in the app (the monthly one, and one after each
        resolved alarm: svc-service-records sends them); a low score opens a follow-up task for
        the provider (000 §三(六), 001 §四(三)3)."""
        beds = self.active_beds()
        answering = [b for b in beds if self.rng.random() < self.args.survey_answers]
        unhappy = {b.bed_id for b in answering if self.rng.random() < self.args.unhappy}

        async def answer(bed: Bed) -> None:
            fam = self.family(bed)
            sent = await self.pages("/v1/surveys", fam, bed_id=bed.bed_id, status="sent")
            for survey in sent:
                full = await self.p.json("GET", f"/v1/surveys/{survey['id']}", fam)
                low = bed.bed_id in unhappy
                answers = {
                    q["code"]: (1 if low else self.rng.randint(q["scale_max"] - 1, q["scale_max"]))
                    for q in full["questions"]
                }
                comment = "护理员来得太晚" if low else "服务周到"
                await self.p.call(
                    "POST", f"/v1/surveys/{survey['id']}/answers", fam,
                    json={"answers": answers, "comment": comment},
                )  # fmt: skip
                self.tally.counts["surveys answered"] += 1
                self.tally.counts["surveys scored low"] += int(low)

        await asyncio.gather(*(answer(b) for b in answering))

    async def settle(self, period: str) -> None:
        """Each provider's month, run and submitted by one officer, approved by a second."""
        for provider in self.providers:
            j = provider.jurisdiction
            body = {"provider_id": provider.id, "jurisdiction": j.code, "period": period}
            run = await self.p.json("POST", "/v1/settlements", self.officer(j), json=body)
            base = f"/v1/settlements/{run['id']}"
            await self.p.call("POST", f"{base}/submission", self.officer(j))
            await self.p.call("POST", f"{base}/approval", self.officer(j, second=True))
            self.tally.counts["settlements approved"] += 1

    # --- the summary: read back from the services --------------------------------------------

    async def pages(self, path: str, who: dict[str, str], **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = await self.p.json(
                "GET", path, who, params={**params, "limit": 100, "offset": len(items)}
            )
            items.extend(page["items"])
            if len(items) >= page["total"] or not page["items"]:
                return items

    async def summary(self) -> dict[str, Any]:
        first, last = self.args.start, self.args.start + timedelta(days=self.args.days - 1)
        period = self.args.month
        rows: list[dict[str, Any]] = []
        for provider in self.providers:
            j, me = provider.jurisdiction, self.admin(provider)
            beds = await self.pages("/v1/beds", me)
            established = [b for b in beds if b["status"] == "established"]
            visits = await self.p.json(
                "GET", "/v1/visits", me,
                params={"day_from": first.isoformat(), "day_to": last.isoformat(), "limit": 1},
            )  # fmt: skip
            verified = await self.p.json(
                "GET", "/v1/visits", me,
                params={"day_from": first.isoformat(), "day_to": last.isoformat(),
                        "status": "verified", "limit": 1},
            )  # fmt: skip
            minimums = await asyncio.gather(
                *(
                    self.p.json(
                        "GET", f"/v1/minimums/beds/{b['id']}", me, params={"period": period}
                    )
                    for b in established
                )
            )
            alarms = await self.pages("/v1/alarms", me)
            on_time = sum(
                1
                for a in alarms
                if a["arrived_at"]
                and datetime.fromisoformat(a["arrived_at"])
                <= datetime.fromisoformat(a["raised_at"]) + timedelta(minutes=15)
            )
            supervision = await self.p.json(
                "GET", "/v1/supervision/providers", self.officer(j),
                params={"first": first.isoformat(), "last": last.isoformat()},
            )  # fmt: skip
            seen = next((r for r in supervision["rows"] if r["provider_id"] == provider.id), {})
            reports = await self.p.json(
                "GET", "/v1/city-reports", self.ops(), params={"provider_id": provider.id}
            )
            received = [
                d for d in (await self.p.stub.get("/received")).json()
                if d["provider_id"] == provider.id
            ]  # fmt: skip
            settlements = await self.pages(
                "/v1/settlements", self.officer(j), period=period, provider_id=provider.id
            )
            scores = await self.p.json(
                "GET", "/v1/surveys/scores", self.officer(j), params={"period": period}
            )
            score = next((r for r in scores["providers"] if r["provider_id"] == provider.id), {})
            rows.append(
                {
                    "provider_id": provider.id,
                    "jurisdiction": j.code,
                    "beds_total": len(beds),
                    "beds_established": len(established),
                    "beds_active_reporting": seen.get("active_beds"),
                    "visits": visits["total"],
                    "visits_verified": verified["total"],
                    "minimums_applying": sum(1 for m in minimums if m["applies"]),
                    "minimums_met": sum(1 for m in minimums if m["applies"] and m["compliant"]),
                    "alarms": len(alarms),
                    "alarms_arrived_within_15_min": on_time,
                    "alarms_reporting": seen.get("alarms"),
                    "alarms_within_15_reporting": seen.get("alarms_within_15_min"),
                    "alarm_compliance_reporting": seen.get("alarm_compliance"),
                    "reports": len(reports),
                    "reports_acknowledged": sum(
                        1 for r in reports if r["status"] == "acknowledged"
                    ),
                    "reports_on_time": sum(1 for r in reports if r.get("on_time")),
                    "reports_received_by_city": len(received),
                    "surveys_answered": score.get("answered", 0),
                    "survey_mean_score": score.get("mean_score"),
                    "surveys_scored_low": score.get("low_scores", 0),
                    "settlement_status": [s["status"] for s in settlements],
                    "subsidy_total_fen": sum(s["total_fen"] for s in settlements),
                }
            )
        balance = await self.p.json("GET", "/v1/ledger/trial-balance", self.ops())
        return {
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "simulated_now": self.sim.local().isoformat(),
            "providers": rows,
            "ledger": {k: balance[k] for k in ("debits_fen", "credits_fen", "balanced")},
            "driver": {
                "applications": self.tally.counts["applications"],
                "approved": self.tally.counts["approved"],
                "refused": sum(self.tally.refusals.values()),
                "refusal_reasons": dict(self.tally.refusals),
                "visits": self.tally.counts["visits"],
                "alarms_raised": self.tally.counts["alarms raised"],
                "alarms_sent_late": self.tally.counts["alarms late"],
                "surveys_answered": self.tally.counts["surveys answered"],
                "surveys_scored_low": self.tally.counts["surveys scored low"],
                "surprises": self.tally.surprises,
            },
        }


# --- running it ---------------------------------------------------------------------------------


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--init-clock", type=Path, help="write a frozen demo clock and exit")
    parser.add_argument("--clock", type=Path, help="the demo clock's schedule file")
    # March 2023: inside Xuancheng's subsidy pilot (contracts signed by 2023-12-31, 001 §四(七))
    parser.add_argument("--month", default="2023-03", help="the simulated month (YYYY-MM)")
    parser.add_argument("--start-day", type=int, default=1, help="the first simulated day")
    parser.add_argument("--days", type=int, default=0, help="days to simulate (0: to month-end)")
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--beds-per-nurse", type=int, default=5)
    parser.add_argument("--officer-refusals", type=float, default=0.04)
    parser.add_argument("--ineligible", type=float, default=0.06)
    parser.add_argument("--missed-days", type=float, default=0.03)
    parser.add_argument("--out-of-range", type=float, default=0.03)
    parser.add_argument("--falls-per-day", type=int, default=2)
    parser.add_argument("--late-share", type=float, default=0.25)
    parser.add_argument("--survey-answers", type=float, default=0.6, help="families answering")
    parser.add_argument("--unhappy", type=float, default=0.1, help="answers that score low")
    parser.add_argument("--fast", type=float, default=14_400, help="simulated s per real s")
    parser.add_argument("--after-rate", type=float, default=1, help="the clock's rate after")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--run-id", default=uuid.uuid4().hex[:6])
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--alarm-lane", default="http://127.0.0.1:8003")
    parser.add_argument("--telemetry-lane", default="http://127.0.0.1:8013")
    parser.add_argument("--city-platform", default="http://127.0.0.1:8017")
    parser.add_argument("--plain", action="store_true", help="lines instead of the live display")
    parser.add_argument("--summary-json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    year, month = (int(x) for x in args.month.split("-"))
    args.start = date(year, month, args.start_day)
    following = date(year + month // 12, month % 12 + 1, 1)
    args.month_end = following - timedelta(days=1)
    if not args.days:
        args.days = (args.month_end - args.start).days + 1
    return args


def init_clock(path: Path, args: argparse.Namespace) -> None:
    """The stack starts on the first simulated morning, held until the driver runs it."""
    start_demo_clock(path, at(args.start, 8), rate=0)


async def drive(args: argparse.Namespace, show: Show | None = None) -> dict[str, Any]:
    """Run the district; return the summary read back from the services."""
    sim = SimTime(args.clock, args.fast)
    platform = Platform(args)
    district = District(platform, sim, args)
    if show is not None:
        show.watch(district)
    try:
        await sim.hold()
        if sim.now() > at(args.start, 8, 30):
            raise SystemExit(
                f"the demo clock is already at {sim.local():%Y-%m-%d %H:%M}, past the first "
                f"simulated morning ({args.start}): a district needs a fresh stack (make demo)"
            )
        await sim.run_until(at(args.start, 8))
        district.phase = "morning 1: applications, reviews, contracts, devices, beds"
        await district.open_district()
        for i in range(args.days):
            day = args.start + timedelta(days=i)
            district.day = i + 1
            district.phase = "the day runs (time fast)"
            await sim.run_until(at(day, 18))
            district.phase = "18:00: the nurses' visits sync, vitals stream"
            await district.visits(day, first=i == 0)
            await district.vitals()
            district.phase = "evening: falls (and the gas leak) raised and handled"
            await district.alarms(day, gas_day=i == args.days // 2)
            if i == min(1, args.days - 1):
                district.phase = "referrals: a hospital discharge in, a nursing-home transfer out"
                await district.referrals()
            if i == args.days - 1:  # the evening of the month's last day: still its month
                district.phase = "the last evening: families answer the satisfaction surveys"
                await district.surveys()
            await district.night(day)
        await district.reports_delivered()
        district.phase = "month-end: settlements (one officer prepares, a second approves)"
        await district.settle(args.month)
        district.phase = "summary: read back from the services"
        return await district.summary()
    finally:
        # the stack runs on: the clock at the wall's pace from here (dashboards keep moving)
        plan_run(args.clock, until=sim.now(), rate=0, then=args.after_rate)
        await platform.close()


# --- the display --------------------------------------------------------------------------------


class Show:
    """A live panel while the district runs (rich), or a line per phase (--plain)."""

    def __init__(self, plain: bool) -> None:
        self.plain = plain
        self.district: District | None = None
        self._last = ""

    def watch(self, district: District) -> None:
        self.district = district

    def render(self) -> Any:
        from rich.console import Group
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        d = self.district
        if d is None:
            return Panel("starting ...")
        days = d.args.days
        head = Table.grid(padding=(0, 2))
        head.add_row(
            f"[bold]{d.sim.local():%Y-%m-%d %H:%M}[/] Asia/Shanghai",
            f"day {getattr(d, 'day', 0)}/{days}",
            f"[cyan]{d.phase}[/]",
        )
        bar = ProgressBar(total=days, completed=getattr(d, "day", 0), width=60)
        counts = Table(show_header=False, box=None, padding=(0, 2))
        items = sorted(d.tally.counts.items())
        for left, right in zip(items[::2], [*items[1::2], ("", "")], strict=False):
            counts.add_row(left[0], f"[bold]{left[1]}[/]", right[0], f"[bold]{right[1]}[/]")
        return Panel(
            Group(head, bar, counts),
            title="HomeBed demo: a simulated district",
            subtitle="the stack keeps running afterwards; Ctrl-C in make demo stops it",
        )

    async def run(self, work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        if self.plain:
            task = asyncio.ensure_future(work)
            while not task.done():
                await asyncio.sleep(0.5)
                d = self.district
                if d is not None and d.phase != self._last:
                    self._last = d.phase
                    print(f"{d.sim.local():%Y-%m-%d %H:%M} {d.phase}", flush=True)
            return task.result()
        from rich.live import Live

        with Live(self.render(), refresh_per_second=4, transient=False) as live:
            task = asyncio.ensure_future(work)
            while not task.done():
                live.update(self.render())
                await asyncio.sleep(0.25)
            live.update(self.render())
        return task.result()


def print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    rows = summary["providers"]
    table = Table(title=f"The district, {summary['first_day']} to {summary['last_day']}")
    table.add_column("", style="bold")
    for row in rows:
        table.add_column(f"{row['jurisdiction']}\n{row['provider_id']}", justify="right")

    def line(label: str, value: Callable[[dict[str, Any]], Any]) -> None:
        table.add_row(label, *(str(value(r)) for r in rows))

    line("beds (all / established now)", lambda r: f"{r['beds_total']} / {r['beds_established']}")
    line("visits (verified / recorded)", lambda r: f"{r['visits_verified']} / {r['visits']}")
    line(
        "minimums met (beds they apply to)",
        lambda r: f"{r['minimums_met']} / {r['minimums_applying']}",
    )
    line(
        "alarms (on site within 15 min)",
        lambda r: f"{r['alarms']} ({r['alarms_arrived_within_15_min']})",
    )
    line(
        "15-minute compliance (reporting)",
        lambda r: (
            "-"
            if r["alarm_compliance_reporting"] is None
            else f"{r['alarm_compliance_reporting']:.0%}"
        ),
    )
    line(
        "T+1 reports (acknowledged / on time)",
        lambda r: f"{r['reports_acknowledged']} / {r['reports_on_time']}",
    )
    line("received by the city platform", lambda r: r["reports_received_by_city"])
    line(
        "surveys (answered / mean score / low)",
        lambda r: (
            f"{r['surveys_answered']} / "
            + ("-" if r["survey_mean_score"] is None else f"{r['survey_mean_score']:.0f}")
            + f" / {r['surveys_scored_low']}"
        ),
    )
    line("settlement", lambda r: ", ".join(r["settlement_status"]) or "-")
    line("subsidy (yuan)", lambda r: f"{r['subsidy_total_fen'] / 100:,.2f}")
    console.print(table)
    ledger = summary["ledger"]
    driver = summary["driver"]
    console.print(
        f"Ledger: debits {ledger['debits_fen'] / 100:,.2f} yuan, credits "
        f"{ledger['credits_fen'] / 100:,.2f} yuan, "
        + ("[green]balanced[/]" if ledger["balanced"] else "[red]NOT balanced[/]")
    )
    console.print(
        f"Applications {driver['applications']}: {driver['approved']} approved, "
        f"{driver['refused']} refused:"
    )
    for reason, count in sorted(driver["refusal_reasons"].items(), key=lambda kv: -kv[1]):
        console.print(f"  {count:4d}  {reason}")
    for surprise in driver["surprises"]:
        console.print(f"[red]surprise:[/] {surprise}")


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.init_clock:
        init_clock(args.init_clock, args)
        return 0
    if not args.clock:
        raise SystemExit("--clock (the demo clock's file) is needed; make demo passes it")
    show = Show(args.plain)
    summary = asyncio.run(show.run(drive(args, show)))
    print_summary(summary)
    if args.summary_json:
        args.summary_json.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
