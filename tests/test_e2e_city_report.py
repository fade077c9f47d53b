"""End to end over the real broker and PostgreSQL: the T+1 city report (000 §三(二), 附件1).

Intake, iot-ingest, service-records and reporting run in this loop (uvicorn), each on its own
PostgreSQL database, with their Kafka consumers on; the reference city platform (the stub) runs
beside them. Beds of two providers are built through intake's API (application → … →
established, devices confirmed through Kafka), devices registered in iot-ingest, visits recorded
in service-records on day T. The reporter's injected clock is then driven to 01:00 Asia/Shanghai
of T+1 and the stub must hold exactly 附件1's fields for each provider, signatures verified; one
provider's day fails first (500) and is retried until acknowledged; a corrected visit goes out as
a correction batch referencing the original (by itself, from visit.corrected on Kafka, and by
hand); the officer's view is scoped by region.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from stdnum.iso7064 import mod_11_2

from chassis.clock import ManualClock
from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from chassis.testing.eventually import eventually
from gateway.testing.servers import serving_in_loop
from intake.bootstrap import create_app as create_intake
from intake.settings import Settings as IntakeSettings
from intake.testing import XUANCHENG_PLAN, grant_consents
from iot_ingest.bootstrap import create_app as create_iot
from iot_ingest.settings import Settings as IotSettings
from reporting.bootstrap import create_app as create_reporting
from reporting.city_platform_stub import StubState, create_stub
from reporting.domain import signing
from reporting.domain.delivery import SHANGHAI, original_batch_id
from reporting.settings import DEV_CITY_PLATFORM_SECRET
from reporting.settings import Settings as ReportingSettings
from service_records.bootstrap import create_app as create_records
from service_records.settings import Settings as RecordsSettings

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.postgres,
    # several services start in-process: a hang guard sized for a loaded 2-core CI box, not a timing
    pytest.mark.timeout(360),
]

T = date(2026, 3, 2)  # the report day (a Monday)
SERVICES_NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 Shanghai on T
BEFORE_PUSH = datetime(2026, 3, 2, 16, 59, tzinfo=UTC)  # 00:59 Shanghai on T+1
PUSH = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 01:00 Shanghai on T+1
SMART = {  # 000 附件2 names
    "emergency_button": "紧急呼叫设备（按键报警器）",
    "vital_signs_monitor": "生命体征监测设备",
    "smoke": "烟雾感应器",
    "fall_detector": "活动监测设备（跌倒报警器）",
}


def headers(role: Role, sub: str, **claims: Any) -> dict[str, str]:
    """Minted per request: internal principal tokens live 60 s."""
    principal = Principal(sub=sub, role=role, **claims)
    return {PRINCIPAL_HEADER: mint_internal_token(principal, DEV_INTERNAL_TOKEN_KEY)}


def family() -> dict[str, str]:
    return headers(Role.FAMILY, "family-e2e")


def officer(*regions: str) -> dict[str, str]:
    return headers(Role.OFFICER, "officer-e2e", region_codes=regions or ("341800",))


def ops() -> dict[str, str]:
    return headers(Role.OPS, "ops-e2e")


def admin(provider_id: str) -> dict[str, str]:
    return headers(Role.PROVIDER_ADMIN, f"admin-{provider_id}", provider_id=provider_id)


def caregiver(provider_id: str, sub: str) -> dict[str, str]:
    return headers(Role.CAREGIVER, sub, provider_id=provider_id)


def id_number(birth: str, sequence: str) -> str:
    body = f"341802{birth}{sequence}"
    return body + mod_11_2.calc_check_digit(body)


def address(region: str, detail: str) -> dict[str, str]:
    return {"province_code": region[:2] + "0000", "city_code": region[:4] + "00",
            "county_code": region, "detail": detail}  # fmt: skip


@dataclass
class Elder:
    """What the test created for one bed: the expected 附件1 facts."""

    provider_id: str
    name: str
    id_number: str
    hukou: tuple[str, str]
    home: tuple[str, str]
    ability: str
    economic: str
    devices: dict[str, int]
    bed_id: str = ""
    contract_id: str = ""
    visits: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Stack:
    intake: httpx.AsyncClient
    iot: httpx.AsyncClient
    records: httpx.AsyncClient
    reporting: httpx.AsyncClient
    stub: StubState
    stub_client: httpx.AsyncClient
    report_clock: ManualClock


@pytest.fixture
def databases(postgres_dsn: str) -> Iterator[dict[str, str]]:
    """One throwaway PostgreSQL database per service, as in production."""
    names = {s: f"t_{uuid.uuid4().hex[:16]}" for s in ("intake", "iot", "records", "reporting")}

    async def run(statement: str) -> None:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            for name in names.values():
                await conn.execute(statement.format(name=name))
        finally:
            await conn.close()

    asyncio.run(run('CREATE DATABASE "{name}"'))
    base = postgres_dsn.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield {service: f"{base}/{name}" for service, name in names.items()}
    finally:
        asyncio.run(run('DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def stack(
    kafka_bootstrap: str, databases: dict[str, str], unique_name: str
) -> AsyncIterator[Stack]:
    services_clock = ManualClock(SERVICES_NOW)
    report_clock = ManualClock(BEFORE_PUSH)
    common: dict[str, Any] = {
        "kafka_bootstrap": kafka_bootstrap,
        "log_json": False,
        "auto_migrate": True,
        "outbox_poll_seconds": 0.05,
    }
    intake = create_intake(
        IntakeSettings(
            database_url=databases["intake"],
            devices_group=f"intake-devices-{unique_name}",
            **common,
        ),
        clock=services_clock,
    )
    iot = create_iot(
        IotSettings(
            database_url=databases["iot"],
            beds_group=f"iot-beds-{unique_name}",
            rules_enabled=False,
            storage_enabled=False,
            loops_enabled=False,
            gc_tuning=False,
            **common,
        ),
        clock=services_clock,
    )
    records = create_records(
        RecordsSettings(
            database_url=databases["records"],
            beds_group=f"records-beds-{unique_name}",
            close_job_enabled=False,
            **common,
        ),
        clock=services_clock,
    )
    stub_app = create_stub(DEV_CITY_PLATFORM_SECRET, clock=report_clock)
    async with AsyncExitStack() as stack:
        urls = {}
        for name, app in (
            ("intake", intake),
            ("iot", iot),
            ("records", records),
            ("stub", stub_app),
        ):
            urls[name] = await stack.enter_async_context(serving_in_loop(app))
        reporting = create_reporting(
            ReportingSettings(
                database_url=databases["reporting"],
                read_model_group=f"reporting-{unique_name}",
                intake_url=urls["intake"],
                iot_ingest_url=urls["iot"],
                service_records_url=urls["records"],
                city_platform_url=urls["stub"] + "/v1/reports",
                check_seconds=0.1,
                backfill_days=1,
                retry_base_seconds=0,
                retry_max_seconds=0,
                **common,
            ),
            clock=report_clock,
        )
        urls["reporting"] = await stack.enter_async_context(serving_in_loop(reporting))
        clients = {
            name: await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
            for name, url in urls.items()
        }
        yield Stack(
            intake=clients["intake"],
            iot=clients["iot"],
            records=clients["records"],
            reporting=clients["reporting"],
            stub=stub_app.state.stub,
            stub_client=clients["stub"],
            report_clock=report_clock,
        )


async def register_provider(intake: httpx.AsyncClient, provider_id: str) -> None:
    """Providers are real objects: an officer registers each with its filed package price."""
    provider = {
        "id": provider_id,
        "name": f"宣城市居家养老服务中心 {provider_id}",
        "licence_no": f"LIC-{provider_id}",
        "jurisdiction": "341800",
        "service_area": ["341800"],
        "contact": {"name": "服务台", "phone": "0563-1234567"},
        "packages": [
            {
                "code": "base",
                "name": "基础包",
                "monthly_fee_fen": 80050,
                "filing_ref": "宣民备〔2026〕1号",
                "filed_on": "2026-01-05",
            }
        ],
    }
    created = await intake.post("/v1/providers", json=provider, headers=officer())
    assert created.status_code == 201, created.text


async def contracted_bed(intake: httpx.AsyncClient, elder: Elder) -> None:
    """Application → submit → assessment → district review (approved) → care plan → contract →
    installations: the bed waits for its devices (iot-ingest learns it from bed.contracted)."""
    body = {
        "jurisdiction": "341800",
        "provider_id": elder.provider_id,
        "name": elder.name,
        "sex": "female",
        "birth_date": f"{elder.id_number[6:10]}-{elder.id_number[10:12]}-{elder.id_number[12:14]}",
        "ethnicity": "汉族",
        "id_number": elder.id_number,
        "social_security_no": "S0000000001",
        "marital_status": "widowed",
        "literacy": "literate",
        "hukou_address": {"region_code": elder.hukou[0], "detail": elder.hukou[1]},
        "current_address": {"region_code": elder.home[0], "detail": elder.home[1]},
        "ltc_assessment_level": None,
        "receives_ltc_services": False,
        "caregiver": {"name": "李强", "relation": "son", "phone": "13800138000"},
        "emergency_contact": {"name": "李娟", "relation": "daughter", "phone": "13900139001"},
        "in_pilot_area": True,
        "has_stable_caregiver": True,
        "is_renter": False,
        "economic_status": elder.economic,
    }
    created = await intake.post("/v1/applications", json=body, headers=family())
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    submitted = await intake.post(f"/v1/applications/{app_id}/submit", headers=family())
    assert submitted.is_success, submitted.text
    assessment = {
        "scale": "ability_4",
        "ability_level": elder.ability,
        "assessor": "评估员",
        "assessed_on": "2026-03-01",
    }
    assessed = await intake.post(
        f"/v1/applications/{app_id}/assessment", json=assessment, headers=officer()
    )
    assert assessed.is_success, assessed.text
    reviewed = await intake.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer()
    )
    assert reviewed.json()["status"] == "approved", reviewed.text
    elder.bed_id = reviewed.json()["bed_id"]
    plan = XUANCHENG_PLAN  # 001 附件3 items meeting 001 §四(三)3: 30 + 2 × 4 visits a month
    me = admin(elder.provider_id)
    planned = await intake.put(f"/v1/beds/{elder.bed_id}/care-plan", json=plan, headers=me)
    assert planned.is_success, planned.text
    await grant_consents(intake, elder.bed_id, me)  # signing, cameras, home modifications
    contract = {"start": "2026-03-05", "end": "2026-09-04", "base_package_fee_fen": 80050}
    signed = await intake.post(f"/v1/beds/{elder.bed_id}/contract", json=contract, headers=me)
    assert signed.status_code == 201, signed.text
    elder.contract_id = signed.json()["contract"]["id"]
    items = {
        "items": [
            {"item_id": "emergency_button", "count": 1},
            {"item_id": "vital_signs_monitor", "count": 1},
            {"item_id": "grab_bar", "count": 3},
        ]
    }
    installed = await intake.put(f"/v1/beds/{elder.bed_id}/installations", json=items, headers=me)
    assert installed.is_success, installed.text


async def register_devices(iot: httpx.AsyncClient, elder: Elder) -> None:
    async def register(device_type: str) -> httpx.Response:
        body = {
            "bed_id": elder.bed_id,
            "device_type": device_type,
            "serial": f"SN-{uuid.uuid4().hex[:12]}",
        }
        return await iot.post("/v1/devices", json=body, headers=admin(elder.provider_id))

    for device_type, count in elder.devices.items():
        for _ in range(count):
            await eventually(
                lambda device_type=device_type: register(device_type),  # type: ignore[misc]
                until=lambda r: r.status_code == 201,
                within=30,
                what=f"iot-ingest learned bed {elder.bed_id}",
            )


async def establish(intake: httpx.AsyncClient, elder: Elder) -> None:
    async def attempt() -> httpx.Response:
        return await intake.post(
            f"/v1/beds/{elder.bed_id}/establish", headers=admin(elder.provider_id)
        )

    done = await eventually(
        attempt, until=lambda r: r.status_code == 200, within=30, what="devices confirmed"
    )
    assert done.json()["established_on"] == T.isoformat()


async def add_worker(records: httpx.AsyncClient, elder: Elder, name: str, sub: str) -> None:
    me = admin(elder.provider_id)
    await eventually(
        lambda: records.get(f"/v1/roster/{elder.bed_id}", headers=me),
        # established, not only contracted: visits are refused until the bed is in service
        until=lambda r: r.status_code == 200 and r.json().get("status") == "established",
        within=60,
        what="service-records learned the bed is established",
    )
    worker = await records.post(
        "/v1/workers",
        json={"name": name, "role": "caregiver", "certificates": ["C-1"], "user_sub": sub},
        headers=me,
    )
    assert worker.status_code == 201, worker.text
    assigned = await records.put(
        f"/v1/roster/{elder.bed_id}/assignees",
        json={"worker_ids": [worker.json()["id"]]},
        headers=me,
    )
    assert assigned.status_code == 200, assigned.text


async def visit(
    records: httpx.AsyncClient,
    elder: Elder,
    sub: str,
    worker: str,
    items: list[str],
    start: datetime,
    end: datetime,
) -> str:
    me = caregiver(elder.provider_id, sub)
    opened = await records.post(
        "/v1/visits",
        json={
            "bed_id": elder.bed_id,
            "check_in": {"at": start.isoformat(), "method": "manual"},
            "items": items,
            "caregiver_present": True,
        },
        headers=me,
    )
    assert opened.status_code == 201, opened.text
    visit_id: str = opened.json()["id"]
    closed = await records.post(
        f"/v1/visits/{visit_id}/check-out",
        json={"check_out": {"at": end.isoformat(), "method": "manual"}},
        headers=me,
    )
    assert closed.json()["status"] == "verified", closed.text
    elder.visits.append(
        {"id": visit_id, "worker": worker, "items": items, "start": start, "end": end}
    )
    return visit_id


CATEGORY = {"cleaning": "生活照料", "medication_reminder": "健康管理"}
CATEGORY_CODE = {"cleaning": "daily_care", "medication_reminder": "health_management"}


def local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def expected_report(
    provider_id: str, profile: dict[str, str], elders: list[Elder], *, kind: str = "original"
) -> dict[str, Any]:
    """000 附件1 for one provider and day, from what the test created (and nothing else)."""
    mine = [e for e in elders if e.provider_id == provider_id]
    details = []
    for elder in mine:
        for v in elder.visits:
            for item in v["items"]:
                details.append(
                    {
                        "record_ref": f"{v['id']}:{CATEGORY_CODE[item]}",
                        "bed_ref": elder.bed_id,
                        "elder_name": elder.name,
                        "worker_name": v["worker"],
                        "service_item": CATEGORY[item],
                        "start_time": local(v["start"]),
                        "end_time": local(v["end"]),
                    }
                )
    return {
        "schema_version": "city_report.v1",
        "kind": kind,
        "provider_id": provider_id,
        "report_date": T.isoformat(),
        "generated_at": PUSH,
        "basic_info": [
            {
                "bed_ref": e.bed_id,
                "name": e.name,
                "id_number": e.id_number,
                "hukou_address": address(*e.hukou),
                "bed_address": address(*e.home),
                "ability_result": {"moderate": "中度", "severe": "重度"}[e.ability],
                "economic_situation": {"dibao": "低保", "dibian": "低边", "other": "其他"}[
                    e.economic
                ],
                "established_on": T.isoformat(),
                "problems": [],
            }
            for e in mine
        ],
        "smart_devices": [
            {
                "bed_ref": e.bed_id,
                "devices": [
                    {"name": SMART[t], "count": n}
                    for t, n in sorted(e.devices.items(), key=lambda d: SMART[d[0]])
                ],
            }
            for e in mine
        ],
        "aging_friendly_devices": [
            {"bed_ref": e.bed_id, "devices": [{"name": "扶手", "count": 3}]} for e in mine
        ],
        "operations": {
            "provider_name": profile["name"],
            "operating_beds": len(mine),
            "medical_partner": profile["medical_partner"],
            "beds": [
                {"bed_ref": e.bed_id, "monthly_visits": 30 + 2 * 4, "monthly_fee_yuan": "800.50"}
                for e in mine
            ],
        },
        "service_details": details,
        "bed_changes": [
            {"bed_ref": e.bed_id, "change": "建床", "on": T.isoformat(), "reason": None}
            for e in mine
        ],
        "agreements": [
            {
                "bed_ref": e.bed_id,
                "reference": e.contract_id,
                "text_sha256": "<sha256>",
                "signed_on": T.isoformat(),
            }
            for e in mine
        ],
    }


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    """Lists compared as sets of rows (order is not part of 附件1); instants as instants."""
    answer = dict(document)
    answer.pop("batch_id")
    answer.pop("corrects_batch_id")
    answer["generated_at"] = datetime.fromisoformat(str(answer["generated_at"]))
    for key in ("basic_info", "smart_devices", "aging_friendly_devices", "service_details",
                "bed_changes"):  # fmt: skip
        answer[key] = sorted(answer[key], key=lambda row: json.dumps(row, sort_keys=True))
    agreements = []
    for row in answer["agreements"]:
        if row["text_sha256"] != "<sha256>":  # the document's: a SHA-256 hex digest
            assert len(row["text_sha256"]) == 64
            int(row["text_sha256"], 16)
        agreements.append({**row, "text_sha256": "<sha256>"})
    answer["agreements"] = sorted(agreements, key=lambda row: row["bed_ref"])
    operations = dict(answer["operations"])
    operations["beds"] = sorted(operations["beds"], key=lambda row: row["bed_ref"])
    answer["operations"] = operations
    return answer


async def reports(s: Stack, provider_id: str) -> list[dict[str, Any]]:
    answer = await s.reporting.get(
        "/v1/city-reports", params={"provider_id": provider_id}, headers=ops()
    )
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()
    return rows


async def received(s: Stack, provider_id: str) -> list[dict[str, Any]]:
    got = (await s.stub_client.get("/received")).json()
    return [d for d in got if d["provider_id"] == provider_id]


async def supervision(s: Stack, who: dict[str, str], **params: str) -> dict[str, dict[str, Any]]:
    answer = await s.reporting.get(
        "/v1/supervision/providers",
        params={"first": T.isoformat(), "last": T.isoformat(), **params},
        headers=who,
    )
    assert answer.status_code == 200, answer.text
    return {row["provider_id"]: row for row in answer.json()["rows"]}


@pytest.mark.long(80)
async def test_t_plus_1_city_report_end_to_end(
    stack: Stack, unique_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # the services' own logs (drivers debug-log SQL)
    s = stack
    north, south = f"prov-n-{unique_name}", f"prov-s-{unique_name}"
    elders = [
        Elder(north, "王秀兰", id_number("19460501", "002"), ("341821", "郎溪县 建平镇 中港路 9 号"),
              ("341802", "鳌峰街道 梅园路 1 号"), "moderate", "dibao",
              {"emergency_button": 1, "vital_signs_monitor": 1, "smoke": 2}),
        Elder(north, "赵桂芳", id_number("19440712", "024"), ("341802", "澄江街道 叠嶂路 18 号"),
              ("341802", "澄江街道 叠嶂路 18 号 2 单元"), "severe", "other",
              {"emergency_button": 1, "vital_signs_monitor": 1}),
        Elder(south, "陈玉珍", id_number("19450203", "046"), ("341821", "建平镇 新建路 3 号"),
              ("341821", "建平镇 新建路 3 号"), "moderate", "dibian",
              {"emergency_button": 1, "vital_signs_monitor": 1, "fall_detector": 1}),
    ]  # fmt: skip
    for provider_id in (north, south):
        await register_provider(s.intake, provider_id)
    for elder in elders:
        await contracted_bed(s.intake, elder)
    await asyncio.gather(*(register_devices(s.iot, e) for e in elders))
    await asyncio.gather(*(establish(s.intake, e) for e in elders))

    n1, s1 = elders[0], elders[2]
    await asyncio.gather(
        add_worker(s.records, n1, "张护工", f"cg-n-{unique_name}"),
        add_worker(s.records, s1, "刘护工", f"cg-s-{unique_name}"),
    )
    visit_n1 = await visit(
        s.records, n1, f"cg-n-{unique_name}", "张护工", ["cleaning", "medication_reminder"],
        datetime(2026, 3, 2, 1, 15, 12, tzinfo=UTC), datetime(2026, 3, 2, 2, 15, 12, tzinfo=UTC),
    )  # fmt: skip
    await visit(
        s.records, s1, f"cg-s-{unique_name}", "刘护工", ["cleaning"],
        datetime(2026, 3, 2, 2, 30, tzinfo=UTC), datetime(2026, 3, 2, 3, 5, 30, tzinfo=UTC),
    )  # fmt: skip

    profiles = {
        north: {
            "name": "宣州区颐和居家养老服务中心",
            "medical_partner": "鳌峰街道社区卫生服务中心",
        },
        south: {"name": "郎溪县安康家庭养老服务站", "medical_partner": "建平镇卫生院"},
    }
    for provider, profile in profiles.items():
        put = await s.reporting.put(
            f"/v1/city-reports/providers/{provider}", json=profile, headers=ops()
        )
        assert put.status_code == 200, put.text

    # the reporter's read model has the beds (intake.beds.v1), nothing is due before 01:00
    await eventually(
        lambda: supervision(s, ops()),
        until=lambda rows: all(
            rows.get(p, {}).get("active_beds") == n for p, n in ((north, 2), (south, 1))
        ),
        within=30,
        what="the reporter's read model of the beds",
    )
    assert await received(s, north) == []
    assert await reports(s, north) == []

    # the platform fails the south provider's first attempt; the reporter retries
    failing = {"mode": "status", "status": 500, "count": 1, "provider_id": south}
    assert (await s.stub_client.post("/control", json=failing)).is_success
    s.report_clock.set(PUSH)

    def acknowledged(rows: list[dict[str, Any]]) -> bool:
        return len(rows) == 1 and rows[0]["status"] == "acknowledged"

    north_rows = await eventually(
        lambda: reports(s, north), until=acknowledged, within=20, what="north acknowledged"
    )
    south_rows = await eventually(
        lambda: reports(s, south), until=acknowledged, within=20, what="south acknowledged"
    )
    assert north_rows[0]["attempts"] == 1
    assert south_rows[0]["attempts"] == 2  # 500 first, then acknowledged
    assert south_rows[0]["last_error"] is None
    assert south_rows[0]["on_time"] is True
    assert s.stub.behaviour.remaining == 0
    assert s.stub.rejected == []  # every signature and document verified

    # exactly 附件1's fields, field for field, for each provider
    for provider in (north, south):
        documents = await received(s, provider)
        assert len(documents) == 1
        document = documents[0]
        assert document["batch_id"] == original_batch_id(provider, T)
        assert document["corrects_batch_id"] is None
        assert normalised(document) == normalised(
            {
                **expected_report(provider, profiles[provider], elders),
                "batch_id": "",
                "corrects_batch_id": None,
            }
        )

    # the receiver refuses what is not signed with the shared secret
    body = json.dumps(document, ensure_ascii=False).encode()
    now = int(time.time())  # a signature is stamped with the wall clock (transport)
    forged = signing.headers(
        "not-the-secret", msg_id=document["batch_id"], timestamp=now, body=body
    )
    refused = await s.stub_client.post("/v1/reports", content=body, headers=forged)
    assert refused.status_code == 401
    genuine = signing.headers(
        DEV_CITY_PLATFORM_SECRET, msg_id=document["batch_id"], timestamp=now, body=body
    )
    again = await s.stub_client.post("/v1/reports", content=body, headers=genuine)
    assert again.json()["duplicate"] is True  # a re-send is counted once

    # a corrected visit: the day goes again as a correction referencing the original
    corrected_end = datetime(2026, 3, 2, 2, 45, 12, tzinfo=UTC)
    correction = await s.records.post(
        f"/v1/visits/{visit_n1}/correct",
        json={"reason": "签退时间补录错误", "check_out_at": corrected_end.isoformat()},
        headers=admin(north),
    )
    assert correction.status_code == 200, correction.text
    assert correction.json()["status"] == "verified", correction.text
    n1.visits[0]["end"] = corrected_end

    # visit.corrected reaches the reporter through Kafka: the day goes again by itself
    def corrected(docs: list[dict[str, Any]]) -> bool:
        return any(d["kind"] == "correction" for d in docs)

    documents = await eventually(
        lambda: received(s, north), until=corrected, within=20, what="the correction"
    )
    fix = next(d for d in documents if d["kind"] == "correction")
    assert fix["corrects_batch_id"] == original_batch_id(north, T)
    assert normalised(fix) == normalised(
        {
            **expected_report(north, profiles[north], elders, kind="correction"),
            "batch_id": "",
            "corrects_batch_id": None,
        }
    )
    current = [d for d in (await s.stub_client.get("/current")).json() if d["provider_id"] == north]
    assert [d["batch_id"] for d in current] == [fix["batch_id"]]
    rows = await eventually(
        lambda: reports(s, north),
        until=lambda rows: len(rows) == 2 and all(r["status"] == "acknowledged" for r in rows),
        within=20,
        what="the correction acknowledged",
    )
    assert [r["kind"] for r in rows] == ["original", "correction"]
    assert [r["kind"] for r in await reports(s, south)] == ["original"]
    # ops may also send a day again by hand: another correction of the same original
    by_hand = await s.reporting.post(f"/v1/city-reports/{north}/{T}/corrections", headers=ops())
    assert by_hand.status_code == 201, by_hand.text
    assert by_hand.json()["corrects_batch_id"] == original_batch_id(north, T)
    await eventually(
        lambda: received(s, north),
        until=lambda docs: by_hand.json()["batch_id"] in {d["batch_id"] for d in docs},
        within=20,
        what="the correction by hand",
    )

    # the officer sees the providers of their regions only
    langxi = await supervision(s, officer("341821"))
    assert south in langxi
    assert north not in langxi
    row = langxi[south]
    assert row["region_code"] == "341821"
    assert row["active_beds"] == 1
    assert (row["reports_expected"], row["reports_received"], row["reports_on_time"]) == (1, 1, 1)
    assert row["completeness"] == 1.0
    assert row["timeliness"] == 1.0
    assert row["open_exceptions"] == 0
    xuanzhou = await supervision(s, officer("341802"))
    assert north in xuanzhou
    assert south not in xuanzhou
    assert xuanzhou[north]["active_beds"] == 2
    city = await supervision(s, officer("341800"))
    assert {north, south} <= set(city)
    assert south not in await supervision(s, officer("341800"), region_code="341802")
    elsewhere = await supervision(s, officer("330100"))
    assert not {north, south} & set(elsewhere)
    refused_family = await s.reporting.get(
        "/v1/supervision/providers",
        params={"first": T.isoformat(), "last": T.isoformat()},
        headers=family(),
    )
    assert refused_family.status_code == 403

    # names and ID numbers went to the platform, never to a log line
    for elder in elders:
        assert elder.id_number not in caplog.text
        assert elder.name not in caplog.text
