"""Pure-ASGI middleware: request ids in and out, RED metrics per route template."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.observability.context import (
    REQUEST_ID_HEADER,
    correlation_id_var,
    request_id_var,
    sane_request_id,
)
from chassis.observability.metrics import HTTP_IN_FLIGHT, HTTP_LATENCY, HTTP_REQUESTS

_HEADER_BYTES = REQUEST_ID_HEADER.lower().encode()


class RequestContextMiddleware:
    """Keeps a sane caller X-Request-ID (or makes one), echoes it, and binds it for logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == _HEADER_BYTES), None
        )
        request_id = sane_request_id(incoming)
        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != _HEADER_BYTES]
                headers.append((_HEADER_BYTES, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(request_token)
            correlation_id_var.reset(correlation_token)


class MetricsMiddleware:
    """RED metrics labelled by route template (`/v1/beds/{bed_id}`), never the raw path."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        # the children, looked up once each: `labels()` takes a lock and builds a key, three
        # times per request (routes and statuses are few, so these stay small)
        self._in_flight = HTTP_IN_FLIGHT.labels(service)
        self._latency: dict[tuple[str, str], Histogram] = {}
        self._requests: dict[tuple[str, str, int], Counter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()
        in_flight = self._in_flight
        in_flight.inc()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            in_flight.dec()
            method = scope["method"]
            # The router records the matched route in the (shared) scope dict.
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            latency = self._latency.get((method, route))
            if latency is None:
                latency = HTTP_LATENCY.labels(self.service, method, route)
                self._latency[method, route] = latency
            latency.observe(time.perf_counter() - start)
            requests = self._requests.get((method, route, status))
            if requests is None:
                requests = HTTP_REQUESTS.labels(self.service, method, route, str(status))
                self._requests[method, route, status] = requests
            requests.inc()
