"""A reference city platform (市级平台) receiver for development and tests.

    python -m reporting.city_platform_stub [--host 127.0.0.1] [--port 8017]

`POST /v1/reports` verifies the Standard Webhooks signature and the city_report.v1 JSON Schema,
keeps each (provider, date, batch id) once (a re-send answers the same receipt, `duplicate: true`)
and answers 200 with a receipt. `POST /control` makes it misbehave for the next N reports: answer
a status (e.g. 503, with Retry-After), wait some seconds, or answer 202 without a receipt
(`provider_id` limits that to one provider's reports).
`GET /received` lists what it stored; `GET /current` the latest batch per provider and day (a
correction replaces what it corrects). Storage is in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from chassis.clock import Clock, service_clock, utc_now
from homebed_schemas.json_schemas import model_schema
from homebed_schemas.reports.city_report import CityReportV1
from reporting.domain import signing
from reporting.settings import DEV_CITY_PLATFORM_SECRET


@dataclass
class Behaviour:
    mode: str = "ok"  # ok | status | slow | accepted
    status: int = 503
    delay_seconds: float = 0.0
    remaining: int = 0  # how many reports the mode applies to (then back to ok)
    provider_id: str | None = None  # only this provider's reports (None: any)


@dataclass
class StubState:
    received: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    receipts: dict[tuple[str, str, str], str] = field(default_factory=dict)
    order: list[tuple[str, str, str]] = field(default_factory=list)
    attempts: int = 0
    rejected: list[str] = field(default_factory=list)  # reasons, never bodies
    behaviour: Behaviour = field(default_factory=Behaviour)


def _provider(body: bytes) -> str | None:
    """The report's provider, read leniently (a body that is not a report has none)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    provider = document.get("provider_id") if isinstance(document, dict) else None
    return provider if isinstance(provider, str) else None


def create_stub(
    secret: str = DEV_CITY_PLATFORM_SECRET,
    *,
    clock: Clock = utc_now,
    wall: Callable[[], float] = time.time,
) -> FastAPI:
    app = FastAPI(title="City platform stub (市级平台 参考接收端)")
    state = StubState()
    app.state.stub = state
    validator = jsonschema.Draft202012Validator(model_schema(CityReportV1))

    @app.post("/v1/reports")
    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        state.attempts += 1
        behaviour = state.behaviour
        applies = behaviour.remaining > 0 and behaviour.provider_id in (None, _provider(body))
        if applies:
            behaviour.remaining -= 1
            if behaviour.mode == "status":
                return JSONResponse(
                    {"error": "unavailable"},
                    status_code=behaviour.status,
                    headers={"retry-after": "0"},
                )
            if behaviour.mode == "slow":
                await asyncio.sleep(behaviour.delay_seconds)
        headers = {k.lower(): v for k, v in request.headers.items()}
        # signatures' timestamps are transport: checked against the wall, as the reporter signs
        if not signing.verify(secret, received=headers, body=body, now=int(wall())):
            state.rejected.append("signature")
            return JSONResponse({"error": "bad signature"}, status_code=401)
        document = json.loads(body)
        errors = sorted(e.message[:80] for e in validator.iter_errors(document))
        if errors:
            state.rejected.append("schema")
            return JSONResponse({"error": "schema", "count": len(errors)}, status_code=422)
        if headers["webhook-id"] != document["batch_id"]:
            state.rejected.append("batch_id")
            return JSONResponse({"error": "webhook-id is not the batch id"}, status_code=422)
        key = (document["provider_id"], document["report_date"], document["batch_id"])
        duplicate = key in state.received
        if not duplicate:
            state.received[key] = document
            state.receipts[key] = str(uuid.uuid4())
            state.order.append(key)
        if applies and behaviour.mode == "accepted" and not duplicate:
            return JSONResponse({"accepted": True}, status_code=202)
        return JSONResponse({"receipt_id": state.receipts[key], "duplicate": duplicate})

    @app.get("/healthz")
    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/control")
    async def control(body: dict[str, Any]) -> dict[str, Any]:
        state.behaviour = Behaviour(
            mode=str(body.get("mode", "ok")),
            status=int(body.get("status", 503)),
            delay_seconds=float(body.get("delay_seconds", 0)),
            remaining=int(body.get("count", 1_000_000)),
            provider_id=body.get("provider_id"),
        )
        return {"mode": state.behaviour.mode, "remaining": state.behaviour.remaining}

    @app.get("/received")
    async def received() -> list[dict[str, Any]]:
        return [state.received[key] for key in state.order]

    @app.get("/current")
    async def current() -> list[dict[str, Any]]:
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for key in state.order:
            latest[(key[0], key[1])] = state.received[key]
        return list(latest.values())

    return app


def app_from_env() -> FastAPI:
    """The stub with the secret the reporter signs with (`make run`: the dev default)."""
    return create_stub(
        os.environ.get("HOMEBED_REPORTING_CITY_PLATFORM_SECRET", DEV_CITY_PLATFORM_SECRET),
        clock=service_clock(),  # the reporter signs on the demo's clock in make demo
    )


app = app_from_env()  # `uvicorn reporting.city_platform_stub:app` (make run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8017)
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(app_from_env(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
