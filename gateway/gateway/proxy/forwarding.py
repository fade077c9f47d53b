"""Calling an upstream: header hygiene, per-route deadline, retries with jitter, circuit breaker.

Requests go through httpcore's connection pool (the pool inside httpx) directly: raw header
lists in and out, no URL re-parsing, cookie jar or model objects per request. The bench showed
httpx's client layer costing more than everything else the gateway does per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpcore

from gateway import metrics
from gateway.edge.breaker import CircuitBreaker
from gateway.edge.retry import RETRYABLE_STATUSES, RetryPolicy
from gateway.proxy.asgi import RawHeaders
from gateway.proxy.pool import PoolTimeout, UpstreamPool

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Never forwarded upstream: credentials stay at the edge (services trust only the principal
# token), a forged principal header from outside is dropped, and the gateway sets the rest.
DROPPED_REQUEST_HEADERS = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"expect",
    b"authorization",
    b"cookie",
    b"x-homebed-principal",
    b"x-request-id",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"forwarded",
}
DROPPED_RESPONSE_HEADERS = HOP_BY_HOP | {b"x-request-id", b"server", b"date", b"content-length"}


def _connection_tokens(headers: RawHeaders) -> frozenset[bytes]:
    """Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1)."""
    tokens: set[bytes] = set()
    for name, value in headers:
        if name == b"connection":
            tokens.update(token.strip().lower() for token in value.split(b","))
    return frozenset(tokens)


METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def request_headers_for_upstream(
    incoming: RawHeaders, added: RawHeaders, *, method: str, body: bytes
) -> RawHeaders:
    """Incoming headers less hop-by-hop and edge-only ones, plus ours and the body's length (the
    body was read whole, so it always goes with Content-Length, never chunked)."""
    dropped = DROPPED_REQUEST_HEADERS | _connection_tokens(incoming)
    headers = [(name, value) for name, value in incoming if name not in dropped] + added
    if body or method in METHODS_WITH_BODY:
        headers.append((b"content-length", str(len(body)).encode()))
    return headers


def response_headers_for_client(upstream: RawHeaders, *, keep_length: bool) -> RawHeaders:
    lowered = [(name.lower(), value) for name, value in upstream]
    dropped = DROPPED_RESPONSE_HEADERS | _connection_tokens(lowered)
    kept = [(name, value) for name, value in lowered if name not in dropped]
    if keep_length:
        kept.extend((name, value) for name, value in lowered if name == b"content-length")
    return kept


@dataclass
class UpstreamResponse:
    """An upstream answer whose body is still to be read (streamed), then closed."""

    status: int
    headers: RawHeaders
    _response: httpcore.Response
    _connection: httpcore.AsyncHTTPConnection
    _pool: UpstreamPool
    _closed: bool = False

    def content_type(self) -> bytes:
        return next((v for k, v in self.headers if k.lower() == b"content-type"), b"")

    async def chunks(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_stream():
            yield chunk

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._response.aclose()
        finally:
            await self._pool.release(self._connection)


@dataclass
class Upstream:
    """One backend: its connection pool (HTTP/1.1 keep-alive) and its breaker."""

    name: str
    scheme: bytes
    host: bytes
    port: int
    pool: UpstreamPool
    breaker: CircuitBreaker
    timeout_seconds: float
    connect_timeout_seconds: float
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def host_header(self) -> tuple[bytes, bytes]:
        return (b"host", b"%s:%d" % (self.host, self.port))

    @property
    def base_url(self) -> str:
        return f"{self.scheme.decode()}://{self.host.decode()}:{self.port}"


class UpstreamUnavailable(Exception):
    """No usable answer: `kind` is breaker_open, connect, timeout or protocol."""

    def __init__(self, kind: str, retry_after: int = 1) -> None:
        super().__init__(kind)
        self.kind = kind
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        # A read timeout may hide a request the upstream did process: 504 says so. Anything
        # that never reached the application (refused, breaker open) is 503.
        return 504 if self.kind == "timeout" else 503


async def call_upstream(
    upstream: Upstream,
    *,
    method: str,
    target: bytes,
    headers: RawHeaders,
    body: bytes,
    timeout_seconds: float,
    streaming: bool,
    route: str,
) -> UpstreamResponse:
    """Send, retrying idempotent requests within the route's deadline; the response is open
    (streamed): the caller reads and closes it."""
    deadline = time.monotonic() + timeout_seconds
    attempt = 0
    while True:
        if not upstream.breaker.allow():
            metrics.BREAKER_REJECTIONS.labels(upstream.name).inc()
            raise UpstreamUnavailable("breaker_open", upstream.breaker.retry_after_seconds())
        remaining = max(0.001, deadline - time.monotonic())
        timeouts = {
            "connect": min(remaining, upstream.connect_timeout_seconds),
            "read": None if streaming else remaining,
            "write": remaining,
            "pool": remaining,
        }
        request = httpcore.Request(
            method,
            httpcore.URL(
                scheme=upstream.scheme, host=upstream.host, port=upstream.port, target=target
            ),
            headers=[upstream.host_header, *headers],
            content=body,
            extensions={"timeout": timeouts},
        )
        kind: str
        try:
            raw, connection = await upstream.pool.send(request, wait_seconds=remaining)
        except (httpcore.ConnectTimeout, httpcore.PoolTimeout, PoolTimeout):
            kind = "connect"
        except httpcore.TimeoutException:
            kind = "timeout"
        except httpcore.ConnectError:
            kind = "connect"
        except (httpcore.NetworkError, httpcore.ProtocolError):
            kind = "protocol"
        else:
            response = UpstreamResponse(raw.status, raw.headers, raw, connection, upstream.pool)
            if response.status not in RETRYABLE_STATUSES:
                upstream.breaker.record_success()
                return response
            kind = "status"
            upstream.breaker.record_failure()
            metrics.UPSTREAM_FAILURES.labels(upstream.name, kind).inc()
            if not _retry_worthwhile(upstream.retry, method, attempt, deadline):
                return response  # the upstream's own 5xx answer goes back as it is
            await response.aclose()
            attempt = await _back_off(upstream, route, attempt, deadline)
            continue
        upstream.breaker.record_failure()
        metrics.UPSTREAM_FAILURES.labels(upstream.name, kind).inc()
        if not _retry_worthwhile(upstream.retry, method, attempt, deadline):
            raise UpstreamUnavailable(kind, upstream.breaker.retry_after_seconds())
        attempt = await _back_off(upstream, route, attempt, deadline)


def _retry_worthwhile(policy: RetryPolicy, method: str, attempt: int, deadline: float) -> bool:
    # Only if a retry could still finish before the deadline (base delay + a little work).
    time_left = deadline - time.monotonic()
    return policy.may_retry(method, attempt) and time_left > policy.base_delay_seconds * 2


async def _back_off(upstream: Upstream, route: str, attempt: int, deadline: float) -> int:
    metrics.RETRIES.labels(route, upstream.name).inc()
    # Never sleep past half the time left: the retry itself needs the rest.
    time_left = deadline - time.monotonic()
    await asyncio.sleep(min(upstream.retry.delay(attempt), max(0.0, time_left / 2)))
    return attempt + 1
