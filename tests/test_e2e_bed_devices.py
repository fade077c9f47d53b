"""End to end across services over the real broker: intake signs a bed's contract, iot-ingest
learns the bed from `intake.beds.v1` and registers its devices, intake learns the devices from
`iot.devices.v1` and establishes the bed, iot-ingest sees it established.

Both services run with their own PostgreSQL database and everything on (iot's rule engine,
storage consumers and loops), as in production; only Kafka connects them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from stdnum.iso7064 import mod_11_2

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from chassis.testing.eventually import eventually
from chassis.testing.fixtures import _create_database, _database_url, _drop_database
from intake.bootstrap import create_app as create_intake
from intake.settings import Settings as IntakeSettings
from intake.testing import XUANCHENG_PLAN, grant_consents
from iot_ingest.bootstrap import create_app as create_iot
from iot_ingest.settings import Settings as IotSettings

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.postgres,
    # several services start in-process: a hang guard sized for a loaded 2-core CI box, not a timing
    pytest.mark.timeout(360),
]

PROVIDER = "prov-e2e"


def _headers(role: Role, sub: str, **claims: Any) -> dict[str, str]:
    token = mint_internal_token(Principal(sub=sub, role=role, **claims), DEV_INTERNAL_TOKEN_KEY)
    return {PRINCIPAL_HEADER: token}


def FAMILY() -> dict[str, str]:
    return _headers(Role.FAMILY, "family-e2e")


def OFFICER() -> dict[str, str]:
    return _headers(Role.OFFICER, "officer-e2e", region_codes=("341800",))


def ADMIN() -> dict[str, str]:
    """Minted per request: internal principal tokens live 60 s."""
    return _headers(Role.PROVIDER_ADMIN, "admin-e2e", provider_id=PROVIDER)


def _id_number(birth: str) -> str:
    body = f"341802{birth}{datetime.now(UTC).microsecond % 100:02d}2"  # even 17th digit: female
    return body + mod_11_2.calc_check_digit(body)


@pytest.fixture
def iot_database_url(postgres_dsn: str) -> Iterator[str]:
    """iot-ingest's own PostgreSQL database (intake gets `postgres_url`)."""
    name = f"t_iot_{uuid.uuid4().hex[:12]}"
    asyncio.run(_create_database(postgres_dsn, name))
    try:
        yield _database_url(postgres_dsn, name)
    finally:
        asyncio.run(_drop_database(postgres_dsn, name))


@pytest.fixture
async def services(
    kafka_bootstrap: str, postgres_url: str, iot_database_url: str, unique_name: str
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    intake = create_intake(
        IntakeSettings(
            database_url=postgres_url,
            kafka_bootstrap=kafka_bootstrap,
            devices_group=f"intake-devices-{unique_name}",
            log_json=False,
        )
    )
    iot = create_iot(
        IotSettings(
            database_url=iot_database_url,
            kafka_bootstrap=kafka_bootstrap,
            beds_group=f"iot-beds-{unique_name}",
            rules_group=f"iot-rules-{unique_name}",
            storage_group=f"iot-storage-{unique_name}",
            log_json=False,
        )
    )
    async with AsyncExitStack() as stack:
        clients = []
        for name, app in (("intake", intake), ("iot", iot)):
            manager = await stack.enter_async_context(
                LifespanManager(app, startup_timeout=60, shutdown_timeout=60)
            )
            transport = httpx.ASGITransport(app=manager.app)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
                )
            )
        yield clients[0], clients[1]


async def _register_provider(intake: httpx.AsyncClient, today: date) -> None:
    """Providers are real objects (issue 10): an officer registers the one the bed names."""
    provider = {
        "id": PROVIDER,
        "name": "宣城市居家养老服务中心",
        "licence_no": "LIC-e2e",
        "jurisdiction": "341800",
        "service_area": ["341800"],
        "contact": {"name": "服务台", "phone": "0563-1234567"},
        "packages": [
            {
                "code": "base",
                "name": "基础包",
                "monthly_fee_fen": 80000,
                "filing_ref": "宣民备〔2026〕1号",
                "filed_on": today.isoformat(),
            }
        ],
    }
    created = await intake.post("/v1/providers", json=provider, headers=OFFICER())
    assert created.status_code == 201, created.text


async def _contracted_bed(intake: httpx.AsyncClient) -> str:
    today = datetime.now(UTC).date()
    await _register_provider(intake, today)
    body = {
        "jurisdiction": "341800",
        "provider_id": PROVIDER,
        "name": "王秀兰",
        "sex": "female",
        "birth_date": "1946-05-01",
        "ethnicity": "汉族",
        "id_number": _id_number("19460501"),
        "social_security_no": "S0000000001",
        "marital_status": "widowed",
        "literacy": "literate",
        "hukou_address": {"region_code": "341802", "detail": "鳌峰街道 梅园路 1 号"},
        "current_address": {"region_code": "341802", "detail": "鳌峰街道 梅园路 1 号"},
        "ltc_assessment_level": None,
        "receives_ltc_services": False,
        "caregiver": {"name": "李强", "relation": "son", "phone": "13800138000"},
        "emergency_contact": {"name": "李娟", "relation": "daughter", "phone": "13900139001"},
        "in_pilot_area": True,
        "has_stable_caregiver": True,
        "is_renter": False,
        "economic_status": "other",
    }
    created = await intake.post("/v1/applications", json=body, headers=FAMILY())
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    assert (await intake.post(f"/v1/applications/{app_id}/submit", headers=FAMILY())).is_success
    assessment = {
        "scale": "ability_4",
        "ability_level": "moderate",
        "assessor": "评估员",
        "assessed_on": (today - timedelta(days=1)).isoformat(),
    }
    assessed = await intake.post(
        f"/v1/applications/{app_id}/assessment", json=assessment, headers=OFFICER()
    )
    assert assessed.is_success, assessed.text
    reviewed = await intake.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=OFFICER()
    )
    assert reviewed.json()["status"] == "approved", reviewed.text
    bed_id: str = reviewed.json()["bed_id"]
    plan = XUANCHENG_PLAN  # 001 附件3 items meeting 001 §四(三)3
    assert (await intake.put(f"/v1/beds/{bed_id}/care-plan", json=plan, headers=ADMIN())).is_success
    now = datetime.now(UTC).isoformat()
    await grant_consents(intake, bed_id, ADMIN(), ("service_agreement",), given_at=now)
    start = today + timedelta(days=1)
    contract = {
        "start": start.isoformat(),
        "end": _months_later(start, 7).isoformat(),
        "base_package_fee_fen": 80000,
    }
    signed = await intake.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=ADMIN())
    assert signed.status_code == 201, signed.text
    items = {
        "items": [
            {"item_id": "emergency_button", "count": 1},
            {"item_id": "vital_signs_monitor", "count": 1},
        ]
    }
    installed = await intake.put(f"/v1/beds/{bed_id}/installations", json=items, headers=ADMIN())
    assert installed.is_success, installed.text
    return bed_id


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


@pytest.mark.long(60)
async def test_contract_devices_establish_across_services(
    services: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    intake, iot = services
    bed_id = await _contracted_bed(intake)
    early = await intake.post(f"/v1/beds/{bed_id}/establish", headers=ADMIN())
    assert early.status_code == 409  # no smart device confirmed yet

    async def register(device_type: str) -> httpx.Response:
        body = {"bed_id": bed_id, "device_type": device_type, "serial": f"SN-{device_type}"}
        return await iot.post("/v1/devices", json=body, headers=ADMIN())

    # iot-ingest accepts the bed's devices once bed.contracted has reached it through Kafka
    first = await eventually(
        lambda: register("emergency_button"),
        until=lambda r: r.status_code == 201,
        within=60,
        what="iot-ingest learned the contracted bed",
    )
    assert first.json()["token"].startswith("hbd_")
    assert (await register("vital_signs_monitor")).status_code == 201

    # intake establishes once both device.registered events have come back through Kafka
    attempts: list[httpx.Response] = []

    async def establish() -> httpx.Response:
        attempts.append(await intake.post(f"/v1/beds/{bed_id}/establish", headers=ADMIN()))
        return attempts[-1]

    try:
        established = await eventually(
            establish,
            until=lambda r: r.status_code == 200,
            within=90,
            what="devices confirmed in intake",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last answer: {attempts[-1].text}") from None
    assert established.json()["status"] == "established"
    assert all(item["confirmed"] for item in established.json()["installations"])

    # a device of a bed iot-ingest has never heard of is refused
    stranger = await iot.post(
        "/v1/devices",
        json={"bed_id": "no-such-bed", "device_type": "smoke", "serial": "SN-x"},
        headers=ADMIN(),
    )
    assert stranger.status_code in (404, 409, 422)


def CARER() -> dict[str, str]:
    return _headers(Role.CAREGIVER, "carer-e2e", provider_id=PROVIDER)


async def test_an_alarm_shows_the_masked_elder_and_opens_the_emergency_contact_to_its_assignee(
    services: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """Issue 10 item 15 across services: iot-ingest shows intake's masked name and address on
    the alarm (from `intake.beds.v1`), and intake lets the caregiver the alarm is dispatched to
    read the emergency contact while it is open (from `iot.alarms.v1`)."""
    intake, iot = services
    bed_id = await _contracted_bed(intake)
    body = {"bed_id": bed_id, "device_type": "emergency_button", "serial": "SN-sos"}
    button = await eventually(
        lambda: iot.post("/v1/devices", json=body, headers=ADMIN()),
        until=lambda r: r.status_code == 201,
        within=60,
        what="iot-ingest learned the contracted bed",
    )
    sos = await iot.post(
        "/v1/device-events",
        json={"seq": 1, "ts": datetime.now(UTC).isoformat(), "kind": "sos_pressed"},
        headers={"Authorization": f"Bearer {button.json()['token']}"},
    )
    assert sos.status_code == 201, sos.text
    alarm_id = sos.json()["alarm_id"]
    alarm = (await iot.get(f"/v1/alarms/{alarm_id}", headers=CARER())).json()
    assert (alarm["elder_name_masked"], alarm["address_masked"]) == ("王**", "鳌峰街道 梅园路 * 号")
    assert "王秀兰" not in str(alarm)

    contact = f"/v1/beds/{bed_id}/emergency-contact"
    refused = await intake.post(contact, headers=CARER())
    assert refused.status_code == 403
    assert refused.json()["unmet"] == ["caller-is-assignee-of-an-open-alarm-of-the-bed"]

    worker = await iot.put(
        "/v1/dispatch-workers/carer-e2e", json={"display_name": "护理员"}, headers=ADMIN()
    )
    assert worker.status_code == 200, worker.text
    assert (await iot.post(f"/v1/alarms/{alarm_id}/acknowledge", headers=ADMIN())).is_success
    dispatched = await iot.post(
        f"/v1/alarms/{alarm_id}/dispatch", json={"assignee": "carer-e2e"}, headers=ADMIN()
    )
    assert dispatched.status_code == 200, dispatched.text
    read = await eventually(
        lambda: intake.post(contact, headers=CARER()),
        until=lambda r: r.status_code == 200,
        within=60,
        what="intake learned the dispatch",
    )
    assert read.json()["value"] == "13900139001"

    assert (await iot.post(f"/v1/alarms/{alarm_id}/arrive", headers=CARER())).is_success
    resolved = await iot.post(
        f"/v1/alarms/{alarm_id}/resolve", json={"outcome": "handled_on_site"}, headers=CARER()
    )
    assert resolved.status_code == 200, resolved.text
    await eventually(
        lambda: intake.post(contact, headers=CARER()),
        until=lambda r: r.status_code == 403,
        within=60,
        what="intake learned the alarm is closed",
    )
