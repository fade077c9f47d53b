"""POST /v1/telemetry served as raw ASGI, in front of the routing and per-route middleware.

The telemetry route is the one hot path: profiling showed about a third of its CPU going to
routing, dependency solving and generic middleware. The lane keeps its own metrics
(homebed_iot_telemetry_batches_total, homebed_iot_readings_total), so nothing is lost to ops.
The FastAPI route in `device_lanes` stays as the documented contract (and serves when this is off).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from chassis.problems import problem_response
from iot_ingest.api.capped_body import read_capped_body
from iot_ingest.domain.device_tokens import token_from_header
from iot_ingest.telemetry.lane import LaneRefusal, TelemetryLane, outcome_json

PATH = "/v1/telemetry"


class TelemetryFastPath:
    def __init__(self, app: ASGIApp, *, lane: TelemetryLane, max_body_bytes: int) -> None:
        self.app = app
        self.lane = lane
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        authorization: str | None = None
        declared = -1
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-length" and value.isdigit():
                declared = int(value)
        try:
            device = await self.lane.authenticate(token_from_header(authorization))
            body = await read_capped_body(receive, declared, self.max_body_bytes)
            outcome = await self.lane.ingest(device, body)
        except LaneRefusal as exc:
            response = problem_response(
                exc.status,
                exc.title,
                exc.detail,
                instance=PATH,
                type_=exc.type,
                headers=exc.headers,
                extra=exc.extra,
            )
            await response(scope, receive, send)
            return
        payload = orjson.dumps(outcome_json(device, outcome))
        await send(
            {
                "type": "http.response.start",
                "status": 202,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
