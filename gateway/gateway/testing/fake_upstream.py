"""A small chassis-based service the gateway's tests put behind it (run by uvicorn, often in a
subprocess so a test can kill it): it echoes what reached it, streams SSE on command, fails on
demand. `uvicorn --factory gateway.testing.fake_upstream:create_app`."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import MetaData

from chassis.app import create_service_app
from chassis.db import chassis_tables
from chassis.principal import PRINCIPAL_HEADER, InvalidPrincipalToken, verify_internal_token
from chassis.runtime import ServiceRuntime
from chassis.settings import ServiceSettings

ECHOED_HEADERS = ("x-request-id", "authorization", "cookie", "x-forwarded-for", "x-custom")


class StreamControl:
    """Per stream key: an event that lets the second SSE event out, and open/close counts."""

    def __init__(self) -> None:
        self.releases: dict[str, asyncio.Event] = {}
        self.opened: Counter[str] = Counter()
        self.closed: Counter[str] = Counter()

    def release_of(self, key: str) -> asyncio.Event:
        return self.releases.setdefault(key, asyncio.Event())


def _principal(request: Request) -> dict[str, Any] | None:
    token = request.headers.get(PRINCIPAL_HEADER)
    if token is None:
        return None
    key = request.app.state.settings.internal_token_key.get_secret_value()
    try:
        return verify_internal_token(token, key).model_dump(mode="json")
    except InvalidPrincipalToken:
        return {"invalid": True}


def _router(control: StreamControl, failures: Counter[str]) -> APIRouter:
    router = APIRouter()

    @router.post("/control/release/{key}")
    async def release(key: str) -> dict[str, bool]:
        control.release_of(key).set()
        return {"released": True}

    @router.get("/control/streams/{key}")
    async def streams(key: str) -> dict[str, int]:
        return {"opened": control.opened[key], "closed": control.closed[key]}

    @router.get("/v1/stream/{key}")
    async def stream(key: str) -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            control.opened[key] += 1
            try:
                yield b"event: tick\ndata: first\n\n"
                await control.release_of(key).wait()
                yield b"event: tick\ndata: second\n\n"
                while True:
                    await asyncio.sleep(0.05)
                    yield b": heartbeat\n\n"
            finally:
                control.closed[key] += 1

        return StreamingResponse(events(), media_type="text/event-stream")

    @router.get("/v1/flaky/{key}")
    async def flaky(key: str, fail: int = 1) -> Response:
        failures[key] += 1
        if failures[key] <= fail:
            return Response(status_code=503, content=b'{"title":"busy"}')
        return Response(content=f'{{"calls":{failures[key]}}}'.encode())

    @router.post("/v1/flaky/{key}")
    async def flaky_post(key: str) -> Response:
        failures[key] += 1
        return Response(status_code=503, content=f'{{"calls":{failures[key]}}}'.encode())

    @router.get("/v1/slow")
    async def slow(seconds: float = 1.0) -> dict[str, float]:
        await asyncio.sleep(seconds)
        return {"slept": seconds}

    @router.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
    async def echo(rest: str, request: Request) -> dict[str, Any]:
        body = await request.body()
        return {
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope.get("raw_path", b"").decode("latin-1"),
            "query": request.url.query,
            "principal": _principal(request),
            "principal_header_count": len(request.headers.getlist(PRINCIPAL_HEADER)),
            "headers": {name: request.headers.get(name) for name in ECHOED_HEADERS},
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body_length": len(body),
        }

    return router


def create_app() -> FastAPI:
    database = os.environ.get("FAKE_UPSTREAM_DATABASE_URL", "sqlite+aiosqlite:///:memory:")
    settings = ServiceSettings(
        service_name="fake-upstream", database_url=database, kafka_enabled=False
    )
    runtime = ServiceRuntime(
        settings=settings, tables=chassis_tables(MetaData()), migrations=None, topic_handlers={}
    )
    return create_service_app(
        runtime=runtime,
        title="fake upstream",
        routers=[_router(StreamControl(), Counter())],
    )
