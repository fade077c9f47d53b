"""A partner hospital through the real gateway: HMAC-signed requests bound to its partner id,
the Idempotency-Key forwarded, a replayed signature refused (401), a body over 1 MB refused (413),
another partner's referral invisible (404), people tokens for the provider side."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from chassis.clock import ManualClock
from chassis.principal import Role
from gateway.auth.hmac_partner import authorization_header
from gateway.settings import UpstreamSettings, default_upstreams
from gateway.testing.harness import RunningGateway, run_gateway
from gateway.testing.servers import serving_in_loop
from referral.bootstrap import create_app
from referral.testing import bed_event, feed, referral_settings

HOME = {
    "path": "home_bed",
    "receiver": {"organisation_id": "prov-a", "name": "西湖家床"},
    "discharge": {
        "jurisdiction": "330100",
        "region_code": "330106",
        "expected_discharge_on": "2026-12-10",
        "summary": "hip fracture, rehab at home",
    },
}


def signed(
    key_id: str, secret: str, method: str, path: str, body: bytes, *, later: int = 0, **extra: str
) -> dict[str, str]:
    """Signed now (+`later` s: one signature is one request, so a retry signs anew)."""
    authorization = authorization_header(
        key_id=key_id,
        secret=secret.encode(),
        method=method,
        path=path,
        query="",
        body=body,
        timestamp=int(time.time()) + later,
    )
    return {"Authorization": authorization, "Content-Type": "application/json", **extra}


@pytest.fixture
async def referral_app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    clock = ManualClock(datetime.now(UTC))  # the gateway signs on the wall clock
    app = create_app(referral_settings(f"sqlite+aiosqlite:///{tmp_path}/referral.db"), clock=clock)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        await feed(app, bed_event())
        yield app


@pytest.fixture
async def gateway(referral_app: FastAPI, tmp_path: Path) -> AsyncIterator[RunningGateway]:
    async with serving_in_loop(referral_app) as url:
        upstreams = default_upstreams() | {"referral": UpstreamSettings(url=url)}
        async with run_gateway(
            tmp_path, url, upstreams=upstreams, routes=None, max_body_bytes=1024 * 1024
        ) as gw:
            yield gw


async def test_a_partner_hospital_through_the_gateway(gateway: RunningGateway) -> None:
    async with gateway.key_store() as store:
        key = await store.create(partner_id="hosp-1", name="市一医院", region_codes=("330100",))
        other = await store.create(partner_id="hosp-2", name="市二医院")
    key_id, secret = key.info.key_id, key.secret
    body = json.dumps(HOME).encode()
    path = "/v1/referrals"
    headers = signed(key_id, secret, "POST", path, body, **{"Idempotency-Key": "discharge-77"})
    created = await gateway.client.post(path, content=body, headers=headers)
    assert created.status_code == 201, created.text
    referral = created.json()
    assert referral["requester"]["organisation_id"] == "hosp-1"  # bound by the key
    replayed = await gateway.client.post(path, content=body, headers=headers)
    assert replayed.status_code == 401  # the same signature twice: a replay

    again = signed(
        key_id, secret, "POST", path, body, later=1, **{"Idempotency-Key": "discharge-77"}
    )
    same = await gateway.client.post(path, content=body, headers=again)
    assert same.status_code == 201
    assert same.json()["id"] == referral["id"]

    mine = f"/v1/referrals/{referral['id']}"
    seen = await gateway.client.get(mine, headers=signed(key_id, secret, "GET", mine, b""))
    assert seen.status_code == 200
    assert seen.json()["allowed_actions"] == ["cancel"]
    stranger = signed(other.info.key_id, other.secret, "GET", mine, b"")
    assert (await gateway.client.get(mine, headers=stranger)).status_code == 404

    # the provider accepts with a people token; the hospital cannot act as the receiver
    provider = gateway.bearer(Role.PROVIDER_ADMIN, sub="admin-a", provider_id="prov-a")
    accept = f"{mine}/actions/accept"
    accepted = await gateway.client.post(accept, json={}, headers=provider)
    assert accepted.status_code == 200, accepted.text
    start = f"{mine}/actions/start"
    refused = await gateway.client.post(
        start, content=b"{}", headers=signed(key_id, secret, "POST", start, b"{}")
    )
    assert refused.status_code == 409
    assert refused.json()["allowed_actions"] == ["cancel"]

    huge = json.dumps({**HOME, "note": "x" * (1024 * 1024 + 10)}).encode()
    too_big = await gateway.client.post(
        path, content=huge, headers=signed(key_id, secret, "POST", path, huge)
    )
    assert too_big.status_code == 413
