"""GET /v1/alarms/stream over a live HTTP connection (uvicorn in the test's loop): frames arrive
as alarms are raised, and a client that hangs up ends the server's generator (no leak)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

import iot_ingest.api.stream as stream_module
from chassis.principal import Role
from chassis.testing.eventually import eventually
from chassis.testing.ports import free_port
from chassis.testing.principals import principal_headers
from iot_ingest.bootstrap import create_app
from iot_ingest.settings import Settings
from iot_ingest.testing import QUIET_LOOPS, bed_envelope, now_iso


@asynccontextmanager
async def _serving(app: object) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _value(server.started or task.done()), what="uvicorn started")
        if task.done():
            task.result()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _value(value: object) -> object:
    return value


async def test_sse_over_http_delivers_alarms_and_stops_when_the_client_leaves(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_streams: list[str] = []
    closed_streams: list[str] = []
    real = stream_module.alarm_events

    async def tracked(**kwargs: object) -> AsyncIterator[bytes]:
        name = uuid.uuid4().hex
        open_streams.append(name)
        try:
            async for frame in real(**kwargs):  # type: ignore[arg-type]
                yield frame
        finally:
            closed_streams.append(name)

    monkeypatch.setattr(stream_module, "alarm_events", tracked)
    settings = Settings(database_url=sqlite_url, kafka_enabled=False, **QUIET_LOOPS)
    app = create_app(settings)
    async with _serving(app) as base:
        from iot_ingest.consumers import handle_bed_event

        bed_id = f"bed-{uuid.uuid4().hex[:8]}"
        async with app.state.runtime.uow() as uow:
            await handle_bed_event(uow, bed_envelope(bed_id, "p1"))
            await uow.commit()
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            registered = await http.post(
                "/v1/devices",
                json={"bed_id": bed_id, "device_type": "fall_detector", "serial": "SSE-1"},
                headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
            )
            assert registered.status_code == 201, registered.text
            token = registered.json()["token"]
            nurse = principal_headers(Role.CAREGIVER, "nurse-1", provider_id="p1")
            async with http.stream("GET", "/v1/alarms/stream", headers=nurse) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                lines = response.aiter_lines()
                assert await anext(lines) == "retry: 2000"  # the stream is open
                raised = await http.post(
                    "/v1/device-events",
                    json={"seq": 1, "ts": now_iso(), "kind": "fall_detected"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert raised.status_code == 201
                alarm_id = raised.json()["alarm_id"]
                frame: list[str] = []
                async with asyncio.timeout(10):
                    async for line in lines:
                        frame.append(line)
                        if line.startswith("data:") and alarm_id in line:
                            break
                assert "event: alarm.raised" in frame
                assert len(open_streams) == 1
                assert closed_streams == []
            # the client hung up: the server notices and ends the generator
            await eventually(
                lambda: _value(list(closed_streams)),
                until=lambda closed: closed == open_streams,
                within=10,
                what="server generator closed after the client left",
            )
            assert (await http.get("/healthz")).status_code == 200
