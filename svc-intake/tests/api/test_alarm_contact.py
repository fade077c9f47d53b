"""During an alarm (issue 10 item 15): bed events carry the elder's masked name and address for
iot-ingest's alarm views (never the plain values), and a caregiver reads the emergency contact
only while an open alarm of the bed is assigned to them (intake's projection of
iot.alarms.v1); provider admins read it as before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from chassis.principal import Role
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.intake import BedEvent
from intake.consumers import handle_alarm_event
from intake.tables import CHASSIS_TABLES
from intake.testing import grant_consents

Auth = Callable[..., dict[str, str]]
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def approved_bed(client: httpx.AsyncClient, auth: Auth, body: dict[str, Any]) -> str:
    family = auth(Role.FAMILY, "family-1")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    created = await client.post("/v1/applications", json=body, headers=family)
    app_id = created.json()["id"]
    await client.post(f"/v1/applications/{app_id}/submit", headers=family)
    assessment = {
        "scale": "ability_4",
        "ability_level": "moderate",
        "assessor": "评估员王",
        "assessed_on": "2026-03-01",
    }
    await client.post(f"/v1/applications/{app_id}/assessment", json=assessment, headers=officer)
    reviewed = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer
    )
    assert reviewed.json()["status"] == "approved", reviewed.text
    bed_id: str = reviewed.json()["bed_id"]
    return bed_id


async def alarm(
    app: FastAPI, bed_id: str, kind: str, status: str, assignee: str | None, minutes: float
) -> None:
    """Apply an iot.alarms.v1 event the way the consumer runner does."""
    data = {
        "alarm_id": f"alarm-{bed_id}",
        "bed_id": bed_id,
        "provider_id": "prov-a",
        "alarm_type": "sos_pressed",
        "severity": "critical",
        "status": status,
        "count": 1,
        "raised_at": T0.isoformat(),
        "arrival_deadline": (T0 + timedelta(minutes=15)).isoformat(),
        "assignee": assignee,
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
    }
    event = Envelope(type=f"alarm.{kind}", source="svc-iot-ingest", subject=bed_id, data=data)
    async with app.state.runtime.uow() as uow:
        await handle_alarm_event(uow, event)
        await uow.commit()


async def staged_bed_events(app: FastAPI) -> list[tuple[str, bytes]]:
    outbox = CHASSIS_TABLES.outbox
    async with app.state.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.topic == "intake.beds.v1")
            .order_by(outbox.c.id)
        )
        return [(r[0], bytes(r[1])) for r in rows]


async def test_bed_events_carry_the_masked_name_and_address_only(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    body = new_application(make_id("341802", "19460501"))
    bed_id = await approved_bed(client, auth, body)
    admin = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    await grant_consents(client, bed_id, admin, ("service_agreement",))
    contract = {"start": "2026-03-05", "end": "2026-09-04", "base_package_fee_fen": 80000}
    signed = await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=admin)
    assert signed.status_code == 201, signed.text
    staged = await staged_bed_events(app)
    assert [t for t, _ in staged] == ["bed.consent_recorded", "bed.contracted"]
    raw = staged[-1][1]
    payload = BedEvent.model_validate(Envelope.model_validate_json(raw).data)
    assert payload.elder_name_masked == "张**"
    assert payload.address_masked == "鳌峰街道 梅园路 * 号 *** 室"
    # svc-subsidy's age rule (001 §四(七)2) reads the birth date; the ID number never leaves
    assert payload.elder_birth_date == date(1946, 5, 1)
    text = orjson.loads(raw)
    assert body["name"] not in str(text)
    assert body["current_address"]["detail"] not in str(text)


async def test_only_the_assignee_of_an_open_alarm_reads_the_emergency_contact(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    bed_id = await approved_bed(client, auth, new_application(make_id("341802", "19460501")))
    path = f"/v1/beds/{bed_id}/emergency-contact"
    carer_a = auth(Role.CAREGIVER, "carer-a", provider_id="prov-a")
    carer_b = auth(Role.CAREGIVER, "carer-b", provider_id="prov-a")
    admin = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")

    async def status(headers: dict[str, str]) -> int:
        return (await client.post(path, headers=headers)).status_code

    no_alarm = await client.post(path, headers=carer_a)
    assert no_alarm.status_code == 403
    problem = no_alarm.json()
    assert problem["type"] == "urn:homebed:problem:forbidden"
    assert problem["unmet"] == ["caller-is-assignee-of-an-open-alarm-of-the-bed"]
    assert problem["bed_id"] == bed_id
    assert "13900139001" not in no_alarm.text
    assert await status(admin) == 200  # provider admins as before

    await alarm(app, bed_id, "raised", "raised", None, 0)
    assert await status(carer_a) == 403  # an open alarm, but nobody's yet
    await alarm(app, bed_id, "dispatched", "dispatched", "carer-b", 2)
    assert (await status(carer_a), await status(carer_b)) == (403, 200)
    await alarm(app, bed_id, "dispatched", "dispatched", "carer-a", 5)  # reassigned
    assert (await status(carer_a), await status(carer_b)) == (200, 403)
    await alarm(app, bed_id, "arrived", "arrived", "carer-a", 9)
    read = await client.post(path, headers=carer_a)
    assert read.json()["value"] == "13900139001"

    # the same rule on the application's reveal
    application = await client.get(f"/v1/beds/{bed_id}", headers=admin)
    app_id = application.json()["application_id"]
    reveal = f"/v1/applications/{app_id}/reveal"
    emergency = {"field": "emergency_phone", "purpose": "emergency_contact"}
    assert (await client.post(reveal, json=emergency, headers=carer_a)).status_code == 200
    assert (await client.post(reveal, json=emergency, headers=carer_b)).status_code == 403

    await alarm(app, bed_id, "resolved", "resolved", "carer-a", 20)
    assert await status(carer_a) == 403
    assert (await client.post(reveal, json=emergency, headers=carer_a)).status_code == 403
    assert await status(admin) == 200


async def test_a_worker_released_by_a_hand_over_no_longer_reads_the_contact(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    """iot-ingest's alarm.handed_over (the bed moved to another provider, 001 §四(六)) is a
    snapshot like the others: the released worker is no longer the alarm's assignee."""
    bed_id = await approved_bed(client, auth, new_application(make_id("341802", "19460502")))
    path = f"/v1/beds/{bed_id}/emergency-contact"
    carer_a = auth(Role.CAREGIVER, "carer-a", provider_id="prov-a")
    await alarm(app, bed_id, "dispatched", "dispatched", "carer-a", 2)
    assert (await client.post(path, headers=carer_a)).status_code == 200
    await alarm(app, bed_id, "handed_over", "acknowledged", None, 3)
    assert (await client.post(path, headers=carer_a)).status_code == 403
