"""The edge pipeline for /v1 requests: route, authenticate, rate-limit, authorise, forward.

Pure ASGI (no framework on the hot path): every step is a few dict look-ups or one call, and
every refusal is an RFC 9457 problem that says no more than the status does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from limits import RateLimitItem
from starlette.types import Message, Receive, Scope, Send

from chassis.principal import PRINCIPAL_HEADER, Principal
from gateway import metrics
from gateway.auth.errors import AuthenticationFailed
from gateway.auth.internal_token import InternalTokenMinter
from gateway.edge.ratelimit import EdgeRateLimiter, parse_limit
from gateway.edge.routes import Access, RouteRule, RouteTable
from gateway.proxy.asgi import BodyTooLarge, ClientGone, RawHeaders, header, read_body
from gateway.proxy.asgi import send_problem as _send_problem
from gateway.proxy.forwarding import (
    Upstream,
    UpstreamUnavailable,
    call_upstream,
    request_headers_for_upstream,
)
from gateway.proxy.identity import Authenticator, Caller, credential_scheme, missing_or_unknown
from gateway.proxy.relay import UpstreamBrokeOff, is_event_stream, relay_buffered, relay_streaming

logger = logging.getLogger(__name__)

PRINCIPAL_HEADER_BYTES = PRINCIPAL_HEADER.lower().encode()
WWW_AUTHENTICATE = (b"www-authenticate", b'Bearer realm="homebed", HMAC-SHA256 realm="homebed"')


@dataclass(frozen=True)
class RateLimits:
    per_principal: RateLimitItem
    per_partner_key: RateLimitItem
    per_ip_public: RateLimitItem

    def for_kind(self, kind: str) -> RateLimitItem:
        return {"principal": self.per_principal, "partner_key": self.per_partner_key}.get(
            kind, self.per_ip_public
        )


class EdgeProxy:
    def __init__(
        self,
        *,
        table: RouteTable,
        upstreams: Mapping[str, Upstream],
        authenticator: Authenticator,
        limiter: EdgeRateLimiter,
        limits: RateLimits,
        internal_token_key: str,
        internal_token_ttl: int,
        max_body_bytes: int,
        trusted_proxy_hops: int = 0,
    ) -> None:
        self._table = table
        self._upstreams = upstreams
        self._auth = authenticator
        self._limiter = limiter
        self._limits = limits
        self._minter = InternalTokenMinter(internal_token_key, ttl_seconds=internal_token_ttl)
        self._max_body = max_body_bytes
        self._trusted_hops = trusted_proxy_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        rule = self._table.match(scope["path"])
        route, upstream_name = (rule.path, rule.upstream) if rule else ("unmatched", "none")
        status = 500
        responded = False

        async def send_tracking(message: Message) -> None:
            nonlocal responded
            responded = True
            await send(message)

        try:
            if rule is None:
                status = await self._refuse(send, scope, request_id, 404, "Not found")
            else:
                status = await self._handle(scope, receive, send_tracking, request_id, rule)
        except Exception:
            # A bug or an unexpected library error: log it, answer a plain 500 if we still can.
            logger.exception("edge pipeline failed", extra={"route": route})
            if not responded:
                await self._refuse(send, scope, request_id, 500, "Internal error")
        finally:
            count, latency = metrics.request_series(route, upstream_name, method, status)
            count.inc()
            latency.observe(time.perf_counter() - started)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, rule: RouteRule
    ) -> int:
        method: str = scope["method"]
        access = rule.decide(method, None)
        if access is Access.METHOD_NOT_ALLOWED:
            allow = (b"allow", ", ".join(rule.allowed_methods()).encode())
            return await self._refuse(
                send, scope, request_id, 405, "Method not allowed", headers=[allow]
            )
        headers: RawHeaders = scope["headers"]
        authorization = header(headers, b"authorization")
        scheme = "public" if access is Access.PUBLIC else credential_scheme(authorization)
        caller: Caller | None = None
        try:
            if scheme == "bearer":
                assert authorization is not None
                caller = await self._auth.bearer(authorization, request_id)
            body = await read_body(receive, self._max_body, header(headers, b"content-length"))
            if scheme == "hmac":
                assert authorization is not None
                caller = await self._auth.partner(
                    authorization,
                    method=method,
                    path=_raw_path(scope),
                    query=scope.get("query_string", b"").decode("latin-1"),
                    body=body,
                    request_id=request_id,
                )
            elif scheme in ("none", "unknown"):
                raise missing_or_unknown(scheme)
        except AuthenticationFailed as failure:
            metrics.AUTH_FAILURES.labels(failure.scheme, failure.reason.value).inc()
            logger.info(
                "credential refused",
                extra={"scheme": failure.scheme, "reason": failure.reason.value},
            )
            detail = "A valid credential is required."
            return await self._refuse(
                send, scope, request_id, 401, "Unauthorized", detail, [WWW_AUTHENTICATE]
            )
        except BodyTooLarge:
            detail = f"The request body exceeds {self._max_body} bytes."
            return await self._refuse(send, scope, request_id, 413, "Payload too large", detail)
        except ClientGone:
            return 499
        limit_headers, refused = await self._rate_limit(scope, rule, caller)
        if refused:
            metrics.RATE_LIMITED.labels(rule.path, caller.limit_kind if caller else "ip").inc()
            return await self._refuse(
                send, scope, request_id, 429, "Too many requests", headers=limit_headers
            )
        if caller is not None and rule.decide(method, caller.principal.role) is Access.FORBIDDEN:
            metrics.FORBIDDEN.labels(rule.path, caller.principal.role.value).inc()
            needed = rule.roles_for(method)
            detail = (
                f"Role {caller.principal.role.value} may not {method} this route; "
                f"it needs one of: {', '.join(needed)}."
            )
            return await self._refuse(
                send, scope, request_id, 403, "Forbidden", detail, extra={"required_roles": needed}
            )
        principal = caller.principal if caller else None
        return await self._forward(
            scope, receive, send, request_id, rule, body, principal, limit_headers
        )

    async def _rate_limit(
        self, scope: Scope, rule: RouteRule, caller: Caller | None
    ) -> tuple[RawHeaders, bool]:
        if caller is not None:
            kind, key = caller.limit_kind, caller.limit_key
        else:
            kind, key = "ip", "ip:" + self._client_ip(scope)
        limit = self._limits.for_kind(kind)
        if rule.rate_limit is not None:
            limit, key = parse_limit(rule.rate_limit), f"{rule.path}|{key}"
        decision = await self._limiter.hit(limit, key)
        return decision.headers(), not decision.allowed

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str,
        rule: RouteRule,
        body: bytes,
        principal: Principal | None,
        limit_headers: RawHeaders,
    ) -> int:
        upstream = self._upstreams[rule.upstream]
        added: RawHeaders = [
            (b"x-request-id", request_id.encode()),
            (b"x-forwarded-for", self._forwarded_for(scope).encode()),
            (b"x-forwarded-proto", scope.get("scheme", "http").encode()),
        ]
        if principal is not None:
            added.append((PRINCIPAL_HEADER_BYTES, self._minter.mint(principal)))
        query: bytes = scope.get("query_string", b"")
        target: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
        if query:
            target += b"?" + query
        try:
            response = await call_upstream(
                upstream,
                method=scope["method"],
                target=target,
                headers=request_headers_for_upstream(
                    scope["headers"], added, method=scope["method"], body=body
                ),
                body=body,
                timeout_seconds=rule.timeout_seconds or upstream.timeout_seconds,
                streaming=rule.streaming,
                route=rule.path,
            )
        except UpstreamUnavailable as unavailable:
            title = "Upstream timeout" if unavailable.status == 504 else "Service unavailable"
            retry_after = (b"retry-after", str(unavailable.retry_after).encode())
            return await self._refuse(
                send, scope, request_id, unavailable.status, title, headers=[retry_after]
            )
        extra = [(b"x-request-id", request_id.encode()), *limit_headers]
        if rule.streaming or is_event_stream(response):
            await relay_streaming(response, send, receive, extra)
            return response.status
        try:
            await relay_buffered(response, send, extra, head=scope["method"] == "HEAD")
        except UpstreamBrokeOff:
            upstream.breaker.record_failure()
            return await self._refuse(send, scope, request_id, 502, "Bad gateway")
        return response.status

    def _client_ip(self, scope: Scope) -> str:
        client = scope.get("client")
        direct = client[0] if client else "unknown"
        if not self._trusted_hops:
            return direct
        forwarded = header(scope["headers"], b"x-forwarded-for")
        if not forwarded:
            return direct
        hops = [hop.strip() for hop in forwarded.decode("latin-1").split(",") if hop.strip()]
        # The last `trusted_hops` entries were added by our own proxies; the one before is real.
        return hops[-self._trusted_hops] if len(hops) >= self._trusted_hops else direct

    def _forwarded_for(self, scope: Scope) -> str:
        client = scope.get("client")
        direct = client[0] if client else "unknown"
        forwarded = header(scope["headers"], b"x-forwarded-for") if self._trusted_hops else None
        return f"{forwarded.decode('latin-1')}, {direct}" if forwarded else direct

    @staticmethod
    async def _refuse(
        send: Send,
        scope: Scope,
        request_id: str,
        status: int,
        title: str,
        detail: str | None = None,
        headers: RawHeaders | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        await _send_problem(
            send,
            status,
            title,
            instance=scope["path"],
            request_id=request_id,
            detail=detail,
            headers=headers,
            extra=extra,
        )
        return status


def _raw_path(scope: Scope) -> str:
    raw: bytes | None = scope.get("raw_path")
    return raw.decode("latin-1") if raw else quote(scope["path"])
