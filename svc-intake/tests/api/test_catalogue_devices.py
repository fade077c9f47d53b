"""Device types the catalogues name (issue 11 item 12): the network connection device of
001 Annex 2 ("网络连接设备 … 保证信号传输稳定") and the smart wearables of 000 §三(三) ("智能穿戴")
are confirmed on the installation checklist by iot-ingest's `device.registered`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.principal import Role
from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import DeviceType
from intake.consumers import handle_device_event
from intake.policies.loader import load_catalogue

Auth = Callable[..., dict[str, str]]


def test_the_catalogue_items_name_iot_device_types_and_quote_their_seeds() -> None:
    items = {item.id: item for item in load_catalogue().items}
    network, wearable = items["network_gateway"], items["smart_wearable"]
    assert network.device_type == DeviceType.NETWORK_GATEWAY.value
    assert wearable.device_type == DeviceType.SMART_WEARABLE.value
    assert quoted_in_seed("001", "网络连接设备 保证信号传输稳定")
    assert quoted_in_seed("000", "智能穿戴")
    assert {c.text for c in wearable.citations} == {"000 §三(三)", "001 §四(三)2"}
    # every smart device of the catalogue is a type iot-ingest registers
    known = {t.value for t in DeviceType}
    assert {i.device_type for i in items.values() if i.kind == "smart_device"} <= known


async def _register(app: FastAPI, bed_id: str, device_type: str, device_id: str) -> None:
    data = {
        "device_id": device_id,
        "bed_id": bed_id,
        "provider_id": "prov-a",
        "device_type": device_type,
        "serial": f"SN-{device_id}",
        "occurred_at": datetime(2026, 3, 2, 3, tzinfo=UTC).isoformat(),
    }
    event = Envelope(
        type="device.registered", source="svc-iot-ingest", subject=device_id, data=data
    )
    async with app.state.runtime.uow() as uow:
        await handle_device_event(uow, event)
        await uow.commit()


async def test_network_device_and_wearable_are_confirmed_by_iot_registration(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    family = auth(Role.FAMILY, "family-1")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    admin = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    created = await client.post(
        "/v1/applications", json=new_application(make_id("341802", "19460501")), headers=family
    )
    app_id = created.json()["id"]
    await client.post(f"/v1/applications/{app_id}/submit", headers=family)
    await client.post(
        f"/v1/applications/{app_id}/assessment",
        json={
            "scale": "ability_4",
            "ability_level": "moderate",
            "assessor": "评估员王",
            "assessed_on": "2026-03-01",
        },
        headers=officer,
    )
    reviewed = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer
    )
    bed_id = reviewed.json()["bed_id"]

    guidance = (await client.get(f"/v1/beds/{bed_id}/guidance", headers=admin)).json()
    devices = {d["id"]: d for d in guidance["devices"]}
    assert devices["network_gateway"]["device_type"] == "network_gateway"
    assert devices["smart_wearable"]["device_type"] == "smart_wearable"  # Xuancheng: 001 §四(三)2

    items = {
        "items": [
            {"item_id": "network_gateway", "count": 1},
            {"item_id": "smart_wearable", "count": 1},
        ]
    }
    put = await client.put(f"/v1/beds/{bed_id}/installations", json=items, headers=admin)
    assert put.status_code == 200, put.text

    async def confirmed() -> dict[str, bool]:
        bed = (await client.get(f"/v1/beds/{bed_id}", headers=admin)).json()
        return {i["item_id"]: i["confirmed"] for i in bed["installations"]}

    assert await confirmed() == {"network_gateway": False, "smart_wearable": False}
    await _register(app, bed_id, "network_gateway", "gw-1")
    assert await confirmed() == {"network_gateway": True, "smart_wearable": False}
    await _register(app, bed_id, "smart_wearable", "band-1")
    assert await confirmed() == {"network_gateway": True, "smart_wearable": True}
