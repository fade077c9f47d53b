"""Retries, timeouts, the circuit breaker against a killed upstream, and SSE pass-through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from chassis.principal import Role
from chassis.testing.eventually import eventually
from gateway.testing.harness import FAKE_UPSTREAM, GatewayFactory, RunningGateway, metric
from gateway.testing.servers import UvicornProcess


async def test_idempotent_requests_are_retried_until_the_upstream_answers(
    gateway: RunningGateway,
) -> None:
    before = metric("homebed_gateway_upstream_retries_total", route="/v1/flaky", upstream="echo")
    response = await gateway.client.get("/v1/flaky/get-1?fail=2", headers=gateway.bearer(Role.OPS))
    assert response.status_code == 200
    assert response.json() == {"calls": 3}
    after = metric("homebed_gateway_upstream_retries_total", route="/v1/flaky", upstream="echo")
    assert after == before + 2


async def test_retries_give_up_and_pass_the_upstreams_answer_on(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/flaky/get-2?fail=9", headers=gateway.bearer(Role.OPS))
    assert response.status_code == 503
    assert response.json() == {"title": "busy"}


async def test_non_idempotent_requests_are_never_retried(gateway: RunningGateway) -> None:
    response = await gateway.client.post("/v1/flaky/post-1", headers=gateway.bearer(Role.OPS))
    assert response.status_code == 503
    assert response.json() == {"calls": 1}


async def test_a_slow_upstream_is_cut_at_the_route_timeout(gateway: RunningGateway) -> None:
    response = await gateway.client.get("/v1/slow?seconds=3", headers=gateway.bearer(Role.OPS))
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Upstream timeout"


async def test_killed_upstream_gives_503_opens_the_breaker_then_recovers(
    gateway_factory: GatewayFactory,
) -> None:
    upstream = UvicornProcess(FAKE_UPSTREAM, factory=True).start()
    try:
        async with gateway_factory(upstream.url, retry_max=0) as gateway:
            elder = gateway.bearer(Role.ELDER)
            assert (await gateway.client.get("/v1/eligibility")).status_code == 200
            upstream.kill()

            for _ in range(3):  # breaker_failure_threshold
                down = await gateway.client.get("/v1/eligibility")
                assert down.status_code == 503
                assert down.headers["content-type"] == "application/problem+json"
                assert down.json()["title"] == "Service unavailable"
            assert metric("homebed_gateway_breaker_state", upstream="echo") == 2

            rejected_before = metric("homebed_gateway_breaker_rejections_total", upstream="echo")
            fast = await gateway.client.get("/v1/applications", headers=elder)
            assert fast.status_code == 503
            assert int(fast.headers["retry-after"]) >= 1
            rejected_after = metric("homebed_gateway_breaker_rejections_total", upstream="echo")
            assert rejected_after == rejected_before + 1

            # However long that took, the breaker stays open until its window has passed.
            gateway.monotonic.advance(0.49)
            still_open = await gateway.client.get("/v1/eligibility")
            assert still_open.status_code == 503
            assert metric("homebed_gateway_breaker_state", upstream="echo") == 2

            upstream.start()  # same port: the service is back
            gateway.monotonic.advance(0.01)  # the 0.5 s window is over: one probe may pass
            recovered = await gateway.client.get("/v1/eligibility")
            assert recovered.status_code == 200
            assert metric("homebed_gateway_breaker_state", upstream="echo") == 0
    finally:
        upstream.stop()


async def _next_event(lines: AsyncIterator[str]) -> str:
    async for line in lines:
        if line.startswith("data:"):
            return line[5:].strip()
    raise AssertionError("stream ended")


async def test_sse_events_pass_through_unbuffered_and_disconnects_propagate(
    gateway: RunningGateway, upstream: UvicornProcess
) -> None:
    key = "sse-1"
    async with httpx.AsyncClient(base_url=upstream.url) as direct:
        async with gateway.client.stream(
            "GET", f"/v1/stream/{key}", headers=gateway.bearer(Role.CAREGIVER)
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert "content-length" not in response.headers
            lines = response.aiter_lines()
            # The upstream holds its second event until released: the first must already be
            # here, or the gateway is buffering. (The bound only turns a hang into a failure.)
            async with asyncio.timeout(10):
                assert await _next_event(lines) == "first"
            assert (await direct.get(f"/control/streams/{key}")).json() == {
                "opened": 1,
                "closed": 0,
            }
            await direct.post(f"/control/release/{key}")
            async with asyncio.timeout(10):
                assert await _next_event(lines) == "second"

        async def streams() -> dict[str, int]:
            return dict((await direct.get(f"/control/streams/{key}")).json())

        closed = await eventually(
            streams, until=lambda state: state["closed"] == 1, within=10, what="upstream close"
        )
        assert closed == {"opened": 1, "closed": 1}
