"""Calling an upstream: header hygiene, per-route deadline, retries with jitter, circuit breaker.

Requests go out through the gateway's own HTTP/1.1 keep-alive pool (proxy/pool.py,
proxy/h1client.py): raw header lists in and out, one write per request, llhttp parsing the
answer. The bench showed httpx, then httpcore + h11, costing more than everything else the
gateway does per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from gateway import metrics
from gateway.edge.breaker import CircuitBreaker
from gateway.edge.retry import RETRYABLE_STATUSES, RetryPolicy
from gateway.proxy.asgi import RawHeaders
from gateway.proxy.h1client import (
    Exchange,
    UpstreamBroken,
    UpstreamConnectError,
    UpstreamTimeout,
)
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
    """Upstream response headers (names lower-case, as the client parses them) less hop-by-hop
    ones and those the gateway sets itself."""
    dropped = DROPPED_RESPONSE_HEADERS
    if any(name == b"connection" for name, _ in upstream):
        dropped = dropped | _connection_tokens(upstream)
    kept = [(name, value) for name, value in upstream if name not in dropped]
    if keep_length:
        kept.extend((name, value) for name, value in upstream if name == b"content-length")
    return kept


class UpstreamResponse:
    """An upstream answer whose body is still to be read (buffered or streamed), then closed."""

    __slots__ = ("_closed", "_exchange", "_pool", "headers", "status")

    def __init__(self, exchange: Exchange, pool: UpstreamPool) -> None:
        self._exchange = exchange
        self._pool = pool
        self._closed = False
        self.status = exchange.status
        self.headers = exchange.headers

    def content_type(self) -> bytes:
        return next((v for k, v in self.headers if k == b"content-type"), b"")

    def chunks(self) -> AsyncIterator[bytes]:
        return self._exchange.chunks()

    async def read(self) -> bytes:
        """The whole body, within the deadline the request was sent with."""
        return await self._exchange.read()

    def stream_without_deadline(self) -> None:
        """Streams (SSE) may stay open as long as the client listens."""
        self._exchange.set_deadline(None)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pool.release(self._exchange)


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
        return (b"host", self.authority)

    @property
    def authority(self) -> bytes:
        return b"%s:%d" % (self.host, self.port)

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
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + timeout_seconds
    request = _request_bytes(method, target, upstream.authority, headers, body)
    attempt = 0
    while True:
        if not upstream.breaker.allow():
            metrics.BREAKER_REJECTIONS.labels(upstream.name).inc()
            raise UpstreamUnavailable("breaker_open", upstream.breaker.retry_after_seconds())
        remaining = max(0.001, deadline - time.monotonic())
        kind: str
        exchange: Exchange | None = None
        try:
            exchange = await upstream.pool.send(
                request,
                head=method == "HEAD",
                wait_seconds=remaining,
                connect_timeout=upstream.connect_timeout_seconds,
            )
            exchange.set_deadline(loop.time() + remaining)
            await exchange.response_head()
        except (UpstreamConnectError, PoolTimeout):
            kind = "connect"
        except UpstreamTimeout:
            kind = "timeout"
        except UpstreamBroken:
            kind = "protocol"
        else:
            response = UpstreamResponse(exchange, upstream.pool)
            exchange = None
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
        finally:
            if exchange is not None:  # failed after the request was written: drop it
                upstream.pool.release(exchange)
        upstream.breaker.record_failure()
        metrics.UPSTREAM_FAILURES.labels(upstream.name, kind).inc()
        if not _retry_worthwhile(upstream.retry, method, attempt, deadline):
            raise UpstreamUnavailable(kind, upstream.breaker.retry_after_seconds())
        attempt = await _back_off(upstream, route, attempt, deadline)


def _request_bytes(
    method: str, target: bytes, host: bytes, headers: RawHeaders, body: bytes
) -> bytes:
    """The whole request in one buffer: one write, one segment for small requests."""
    parts = [method.encode(), b" ", target, b" HTTP/1.1\r\nhost: ", host, b"\r\n"]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    parts.append(body)
    return b"".join(parts)


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
