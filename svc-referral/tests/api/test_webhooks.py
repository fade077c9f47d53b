"""Signed webhooks to partners (Standard Webhooks): every status change staged with the change,
delivered by the worker with webhook-id / webhook-timestamp / webhook-signature, retried with
exponential backoff and jitter for up to 24 h, then dead-lettered; the delivery log per partner;
re-sends of one delivery or a time range. A receiver that answers 500 or times out never loses
a delivery."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from chassis.clock import ManualClock
from referral.bootstrap import create_app
from referral.domain.backoff import Backoff
from referral.service.webhooks import deliver_due
from referral.tables import WebhookSubscriptionRow
from referral.testing import admin, bed_event, feed, hospital, referral_settings

HOME = {
    "path": "home_bed",
    "receiver": {"organisation_id": "prov-a"},
    "discharge": {
        "jurisdiction": "330100",
        "region_code": "330106",
        "expected_discharge_on": "2026-12-10",
    },
}


class Receiver:
    """A partner's endpoint: verifies every signature, fails the first `failures` attempts."""

    def __init__(
        self, failures: int = 0, *, timeout_first: bool = False, clock: ManualClock | None = None
    ) -> None:
        # with a clock: check the timestamp against it (the test moves days), else the wall
        self.failures, self.timeout_first, self.clock = failures, timeout_first, clock
        self.secret: str | None = None
        self.received: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.attempts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        self.requests.append(request)
        assert self.secret is not None
        payload = self.verify(request)
        if self.timeout_first and self.attempts == 1:
            raise httpx.ReadTimeout("receiver too slow", request=request)
        if self.attempts <= self.failures:
            return httpx.Response(500)
        self.received.append({"id": request.headers["webhook-id"], **payload})
        return httpx.Response(204)

    def verify(self, request: httpx.Request) -> dict[str, Any]:
        assert self.secret is not None
        if self.clock is None:
            verified: dict[str, Any] = Webhook(self.secret).verify(
                request.content, dict(request.headers)
            )
            return verified
        sent = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
        assert abs(sent - self.clock()) <= timedelta(minutes=5)
        expected = Webhook(self.secret).sign(
            request.headers["webhook-id"], sent, request.content.decode()
        )
        assert expected in request.headers["webhook-signature"].split(" ")
        body: dict[str, Any] = json.loads(request.content)
        return body


@pytest.fixture
def clock() -> ManualClock:
    # Standard Webhooks receivers check the timestamp against their wall clock (5 min)
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def setup(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Callable[[Receiver], Any]]:
    apps: list[tuple[FastAPI, LifespanManager, httpx.AsyncClient]] = []

    async def start(receiver: Receiver) -> tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
        app = create_app(
            referral_settings(f"sqlite+aiosqlite:///{tmp_path}/referral.db"),
            clock=clock,
            webhook_http=http,
        )
        manager = LifespanManager(app, startup_timeout=60, shutdown_timeout=60)
        await manager.__aenter__()
        await feed(app, bed_event())
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://referral"
        )
        apps.append((app, manager, client))
        subscribed = await client.post(
            "/v1/webhooks/subscriptions",
            json={"url": "https://partner.example/hooks", "event_types": []},
            headers=hospital(),
        )
        assert subscribed.status_code == 201, subscribed.text
        receiver.secret = subscribed.json()["secret"]
        return app, client, http

    yield start
    for _app, manager, client in apps:
        await client.aclose()
        await manager.__aexit__(None, None, None)


async def run_worker(app: FastAPI, clock: ManualClock, http: httpx.AsyncClient, rng: Random) -> int:
    return await deliver_due(
        uow_factory=app.state.runtime.uow,
        clock=clock,
        http=http,
        backoff=Backoff(),
        rng=rng,
        sealer=app.state.webhook_sealer,
    )


async def test_signed_delivery_survives_failures_and_a_timeout(
    setup: Callable[[Receiver], Any], clock: ManualClock
) -> None:
    receiver = Receiver(failures=2, timeout_first=True)
    app, client, http = await setup(receiver)
    sent = await client.post("/v1/referrals", json=HOME, headers=hospital())
    assert sent.status_code == 201  # the state change never waits for the partner
    rid = sent.json()["id"]
    rng = Random(7)
    assert await run_worker(app, clock, http, rng) == 1  # timeout
    assert await run_worker(app, clock, http, rng) == 0  # not due yet
    for _ in range(2):
        clock.advance(timedelta(minutes=2))
        assert await run_worker(app, clock, http, rng) == 1
    assert [r["type"] for r in receiver.received] == ["referral.requested"]
    assert receiver.received[0]["data"]["referral_id"] == rid
    log = (await client.get("/v1/webhooks/deliveries", headers=hospital())).json()
    (delivery,) = log["items"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["attempt_log"]] == [None, 500, 204]
    assert "ReadTimeout" in delivery["attempt_log"][0]["error"]
    # another partner sees none of it
    assert (await client.get("/v1/webhooks/deliveries", headers=hospital("hosp-2"))).json()[
        "total"
    ] == 0

    accepted = await client.post(f"/v1/referrals/{rid}/actions/accept", json={}, headers=admin())
    assert accepted.status_code == 200
    assert await run_worker(app, clock, http, rng) == 1
    assert [r["type"] for r in receiver.received] == ["referral.requested", "referral.accepted"]
    async with app.state.runtime.uow() as uow:  # sealed at rest: the table cannot sign
        stored = await uow.session.scalar(select(WebhookSubscriptionRow.secret))
    assert stored is not None
    assert receiver.secret is not None
    assert receiver.secret.removeprefix("whsec_") not in stored


async def test_retries_stop_after_24_hours_then_resend(
    setup: Callable[[Receiver], Any], clock: ManualClock
) -> None:
    receiver = Receiver(failures=10_000, clock=clock)
    app, client, http = await setup(receiver)
    started = clock()
    await client.post("/v1/referrals", json=HOME, headers=hospital())
    rng, attempts_at = Random(3), []
    for _ in range(200):
        if await run_worker(app, clock, http, rng):
            attempts_at.append(clock())
        clock.advance(timedelta(minutes=10))
        if clock() > started + timedelta(hours=26):
            break
    (delivery,) = (await client.get("/v1/webhooks/deliveries", headers=hospital())).json()["items"]
    assert delivery["status"] == "dead"
    assert delivery["next_attempt_at"] is None
    assert 6 <= delivery["attempts"] == len(attempts_at) <= 20
    assert max(attempts_at) <= started + timedelta(hours=24)
    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert gaps[-1] > gaps[0]  # exponential

    receiver.failures = 0
    receiver.attempts = 0
    resent = await client.post(
        f"/v1/webhooks/deliveries/{delivery['id']}/resend", headers=hospital()
    )
    assert resent.json()["status"] == "pending"
    assert await run_worker(app, clock, http, rng) == 1
    (delivered,) = (await client.get("/v1/webhooks/deliveries", headers=hospital())).json()["items"]
    assert delivered["status"] == "delivered"
    rerun = await client.post(
        "/v1/webhooks/deliveries/resend",
        json={
            "since": (started - timedelta(hours=1)).isoformat(),
            "until": (clock() + timedelta(hours=1)).isoformat(),
        },
        headers=hospital(),
    )
    assert rerun.json()["requeued"] == 1
    assert await run_worker(app, clock, http, rng) == 1
    assert len(receiver.received) == 2  # the re-run delivers the same webhook-id again
    assert receiver.received[0]["id"] == receiver.received[1]["id"]
    refused = await client.post(
        f"/v1/webhooks/deliveries/{delivery['id']}/resend", headers=hospital("hosp-2")
    )
    assert refused.status_code == 404


async def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap(
    setup: Callable[[Receiver], Any], clock: ManualClock
) -> None:
    receiver = Receiver(clock=clock)
    app, client, http = await setup(receiver)
    old = receiver.secret
    (sub,) = (await client.get("/v1/webhooks/subscriptions", headers=hospital())).json()
    route = f"/v1/webhooks/subscriptions/{sub['id']}/rotate-secret"
    assert (await client.post(route, json={}, headers=hospital("hosp-2"))).status_code == 404
    bad = await client.post(route, json={"overlap_hours": 500}, headers=hospital())
    assert bad.status_code == 422
    assert "overlap_hours" in bad.text

    rotated = await client.post(route, json={"overlap_hours": 2}, headers=hospital())
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_")
    assert new != old
    assert rotated.json()["previous_secret_expires_at"] is not None

    # during the overlap a receiver still on the old secret and one on the new both verify
    await client.post("/v1/referrals", json=HOME, headers=hospital())
    rng = Random(5)
    assert await run_worker(app, clock, http, rng) == 1
    assert receiver.received[-1]["type"] == "referral.requested"  # verified with the old one
    (delivery,) = (await client.get("/v1/webhooks/deliveries", headers=hospital())).json()["items"]
    receiver.secret = new
    resent = f"/v1/webhooks/deliveries/{delivery['id']}/resend"
    assert (await client.post(resent, headers=hospital())).status_code == 200
    assert await run_worker(app, clock, http, rng) == 1
    assert len(receiver.received) == 2  # verified with the new one

    assert len(receiver.requests[-1].headers["webhook-signature"].split(" ")) == 2

    # after it only the new secret signs: a receiver left on the old one could not verify
    clock.advance(timedelta(hours=2, seconds=1))
    assert (await client.post(resent, headers=hospital())).status_code == 200
    assert await run_worker(app, clock, http, rng) == 1
    assert len(receiver.received) == 3
    last = receiver.requests[-1]
    sent = datetime.fromtimestamp(int(last.headers["webhook-timestamp"]), UTC)
    signatures = last.headers["webhook-signature"].split(" ")
    assert old is not None
    by_old = Webhook(old).sign(last.headers["webhook-id"], sent, last.content.decode())
    assert signatures == [
        Webhook(new).sign(last.headers["webhook-id"], sent, last.content.decode())
    ]
    assert by_old not in signatures

    deactivated = f"/v1/webhooks/subscriptions/{sub['id']}/deactivate"
    assert (await client.post(deactivated, headers=hospital())).status_code == 200
    assert (await client.post(route, json={}, headers=hospital())).status_code == 409
