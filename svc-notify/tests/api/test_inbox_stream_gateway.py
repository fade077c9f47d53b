"""The in-app channel end to end over HTTP: the caregiver's phone holds `GET /v1/inbox/stream`
open through the gateway (routes.yaml marks it streaming), an alarm is raised, the message
arrives as an SSE frame with the unread count; the list and `read` follow."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from chassis.clock import utc_now
from chassis.principal import Role
from gateway.settings import UpstreamSettings, default_upstreams
from gateway.testing.harness import run_gateway
from gateway.testing.servers import serving_in_loop
from notify.bootstrap import create_app
from notify.testing import ALARMS, Notify, alarm_envelope, notify_settings, staff_with_schedules


async def _next_frame(lines: object) -> dict[str, str]:
    frame: dict[str, str] = {}
    async for line in lines:  # type: ignore[attr-defined]
        if not line:
            if "data" in frame:
                return frame
            frame = {}
            continue
        name, _, value = line.partition(": ")
        frame[name] = value
    raise AssertionError("the stream ended")


async def test_inbox_stream_through_the_gateway(tmp_path: Path, sqlite_url: str) -> None:
    settings = notify_settings(sqlite_url, background_dispatch=True, dispatch_poll_seconds=0.05)
    app = create_app(settings, clock=utc_now)
    async with serving_in_loop(app) as notify_url:
        upstreams = default_upstreams() | {"notify": UpstreamSettings(url=notify_url)}
        async with (
            run_gateway(tmp_path, notify_url, upstreams=upstreams, routes=None) as gateway,
            httpx.AsyncClient(base_url=notify_url, timeout=10) as direct,
        ):
            notify = Notify(app=app, client=direct, clock=utc_now)
            await staff_with_schedules(notify, utc_now)  # type: ignore[arg-type]
            phone = gateway.bearer(Role.CAREGIVER, sub="cg-1", provider_id="p1")
            async with gateway.client.stream("GET", "/v1/inbox/stream", headers=phone) as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.aiter_lines()
                assert await anext(lines) == "retry: 2000"
                now = utc_now()
                raised = alarm_envelope(
                    "alarm.raised", alarm_id="al-g", bed_id="bed-g", raised_at=now, at=now
                )
                await notify.feed(ALARMS, raised)
                frame = await _next_frame(lines)
            assert frame["event"] == "notification"
            item = json.loads(frame["data"])
            assert item["title"] == "【家床告警】跌倒"
            assert (item["unread"], item["subject"]) == (1, "al-g")
            listed = await gateway.client.get("/v1/inbox", headers=phone)
            assert listed.status_code == 200, listed.text
            assert listed.json()["unread"] == 1
            read = await gateway.client.post(f"/v1/inbox/{frame['id']}/read", headers=phone)
            assert read.json()["read"] is True
            assert (await gateway.client.get("/v1/inbox", headers=phone)).json()["unread"] == 0
            family = gateway.bearer(Role.FAMILY, sub="fam-1", provider_id=None)
            centre = await gateway.client.get("/v1/monitoring-centre/stream", headers=family)
            assert centre.status_code == 403
