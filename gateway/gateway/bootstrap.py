"""Composition root: reads settings, builds clients and verifiers inside the lifespan."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIServer

import httpx
import orjson
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from prometheus_client import start_http_server
from sqlalchemy import MetaData
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from chassis.app import create_service_app
from chassis.db import chassis_tables
from chassis.http import outbound_client
from chassis.runtime import ServiceRuntime
from gateway import metrics
from gateway.auth import dev_issuer
from gateway.auth.hmac_partner import PartnerRequestVerifier
from gateway.auth.jwks import FileKeySource, KeySource, UrlKeySource
from gateway.auth.jwt_people import PeopleTokenVerifier
from gateway.auth.partner_keys import MIGRATIONS, PartnerKeyStore, SecretSealer
from gateway.auth.replay import DatabaseReplayGuard, MemoryReplayGuard
from gateway.edge.breaker import BreakerState, CircuitBreaker
from gateway.edge.ratelimit import build_rate_limiter, parse_limit
from gateway.edge.retry import RetryPolicy
from gateway.edge.routes import RouteTable
from gateway.edge_app import GatewayApp, SecurityHeaders
from gateway.proxy.forwarding import Upstream
from gateway.proxy.identity import Authenticator
from gateway.proxy.openapi import fetch_documents, merge_openapi
from gateway.proxy.pipeline import EdgeProxy, RateLimits
from gateway.proxy.pool import UpstreamPool
from gateway.settings import GatewaySettings

OPENAPI_CACHE_SECONDS = 30.0
# A document missing an upstream is kept only briefly: the next reader retries the upstream.
OPENAPI_PARTIAL_CACHE_SECONDS = 3.0
# A service builds its OpenAPI document on first request: seconds on a busy machine.
OPENAPI_FETCH_SECONDS = 10.0
CORS_HEADERS = ["Authorization", "Content-Type", "X-Request-ID", "Last-Event-ID"]
EXPOSED_HEADERS = ["X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]


class GatewayEdge:
    """What the edge holds beside the chassis runtime (database, health): pools, keys, breakers."""

    def __init__(
        self, settings: GatewaySettings, runtime: ServiceRuntime, clocks: EdgeClocks
    ) -> None:
        self.gateway_settings = settings
        self.clocks = clocks
        self.runtime = runtime
        self.proxy: EdgeProxy | None = None
        self.upstreams: dict[str, Upstream] = {}
        self.table = RouteTable(settings.route_rules())
        metrics.create_edge_series(self.table.rules)
        self._side_clients: list[httpx.AsyncClient] = []
        self._openapi: tuple[float, float, dict[str, Any]] | None = None  # (at, keep_for, doc)
        self._openapi_client: httpx.AsyncClient | None = None
        self._metrics_server: WSGIServer | None = None

    async def start(self, _app: FastAPI, runtime: ServiceRuntime) -> None:
        settings = self.gateway_settings
        self.start_metrics_listener()
        self.upstreams = {
            name: _upstream(name, settings, self.clocks.monotonic) for name in settings.upstreams
        }
        assert runtime.engine is not None
        sealer = SecretSealer.from_setting(settings.partner_key_encryption_key.get_secret_value())
        authenticator = Authenticator(
            PeopleTokenVerifier(
                self._key_source(),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                algorithms=settings.jwt_algorithms,
                leeway_seconds=settings.jwt_leeway_seconds,
                clock=self.clocks.wall,
            ),
            PartnerRequestVerifier(
                PartnerKeyStore(runtime.engine, sealer),
                window_seconds=settings.hmac_window_seconds,
                replay_guard=(
                    DatabaseReplayGuard(runtime.engine)
                    if settings.replay_store == "database"
                    else MemoryReplayGuard()
                ),
                clock=self.clocks.wall,
            ),
        )
        self.proxy = EdgeProxy(
            table=self.table,
            upstreams=self.upstreams,
            authenticator=authenticator,
            limiter=build_rate_limiter(
                settings.rate_limit_storage,
                settings.rate_limit_strategy,
                monotonic=self.clocks.monotonic,
                wall=self.clocks.wall,
            ),
            limits=RateLimits(
                per_principal=parse_limit(settings.rate_limit_per_principal),
                per_partner_key=parse_limit(settings.rate_limit_per_partner_key),
                per_ip_public=parse_limit(settings.rate_limit_per_ip_public),
            ),
            internal_token_key=settings.internal_token_key.get_secret_value(),
            internal_token_ttl=settings.internal_token_ttl_seconds,
            max_body_bytes=settings.max_body_bytes,
            trusted_proxy_hops=settings.trusted_proxy_hops,
        )

    def start_metrics_listener(self) -> None:
        """Serve /metrics on the internal listener only (never the public port)."""
        listen = self.gateway_settings.metrics_listen
        if not listen:
            return
        host, _, port = listen.rpartition(":")
        self._metrics_server, _thread = start_http_server(int(port), addr=host or "127.0.0.1")

    async def stop(self, _app: FastAPI, _runtime: ServiceRuntime) -> None:
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
            self._metrics_server = None
        self.proxy = None
        for upstream in self.upstreams.values():
            await upstream.pool.aclose()
        for client in self._side_clients:
            await client.aclose()

    def _side_client(self) -> httpx.AsyncClient:
        """For the gateway's own calls (JWKS, OpenAPI documents), not for proxied traffic."""
        client = outbound_client(trust_env=False)
        self._side_clients.append(client)
        return client

    def _key_source(self) -> KeySource:
        settings = self.gateway_settings
        if settings.jwks_url:
            return UrlKeySource(
                settings.jwks_url, self._side_client(), ttl=settings.jwks_cache_seconds
            )
        if settings.jwks_file is None and settings.env == "dev":
            dev_issuer.load_or_create(settings.dev_issuer_dir)
        return FileKeySource(settings.effective_jwks_file())

    async def openapi(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._openapi is not None and now - self._openapi[0] < self._openapi[1]:
            return self._openapi[2]
        paths = {name: u.openapi_path for name, u in self.gateway_settings.upstreams.items()}
        if self._openapi_client is None:
            self._openapi_client = self._side_client()
        documents, missing = await fetch_documents(
            self._openapi_client, self.upstreams, paths, wait_seconds=OPENAPI_FETCH_SECONDS
        )
        merged = merge_openapi(documents, self.table)
        if missing:
            merged["info"]["x-homebed-unavailable"] = missing
        keep_for = OPENAPI_PARTIAL_CACHE_SECONDS if missing else OPENAPI_CACHE_SECONDS
        self._openapi = (now, keep_for, merged)
        return merged


def _upstream(name: str, settings: GatewaySettings, monotonic: Callable[[], float]) -> Upstream:
    config = settings.upstreams[name]
    url = httpx.URL(config.url)
    scheme, host = url.scheme.encode(), url.host.encode()
    port = url.port or (443 if url.scheme == "https" else 80)
    pool = UpstreamPool(
        url.host,
        port,
        max_connections=config.max_connections,
        max_idle=config.max_keepalive_connections,
        tls=ssl.create_default_context() if scheme == b"https" else None,
    )
    metrics.BREAKER_STATE.labels(name).set(BreakerState.CLOSED)
    metrics.BREAKER_REJECTIONS.labels(name)
    for kind in metrics.UPSTREAM_FAILURE_KINDS:  # at 0 from the start: the panel needs no fallback
        metrics.UPSTREAM_FAILURES.labels(name, kind)
    return Upstream(
        name=name,
        scheme=scheme,
        host=host,
        port=port,
        pool=pool,
        breaker=CircuitBreaker(
            name,
            failure_threshold=settings.breaker_failure_threshold,
            open_seconds=settings.breaker_open_seconds,
            clock=monotonic,
            on_state_change=lambda upstream, state: metrics.BREAKER_STATE.labels(upstream).set(
                state
            ),
        ),
        timeout_seconds=config.timeout_seconds,
        connect_timeout_seconds=config.connect_timeout_seconds,
        retry=RetryPolicy(
            max_retries=settings.retry_max, base_delay_seconds=settings.retry_base_delay_seconds
        ),
    )


def _docs_router(edge: GatewayEdge) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi() -> Response:
        return Response(orjson.dumps(await edge.openapi()), media_type="application/json")

    return router


@dataclass(frozen=True)
class EdgeClocks:
    """Time for the edge: `wall` judges tokens and signatures, `monotonic` drives the breakers
    and token buckets. Tests pass clocks they move themselves."""

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic


def create_app(
    settings: GatewaySettings | None = None, *, clocks: EdgeClocks | None = None
) -> ASGIApp:
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime(
        settings=settings,
        tables=chassis_tables(MetaData()),  # the gateway publishes no events
        migrations=MIGRATIONS,
        topic_handlers={},
    )
    edge = GatewayEdge(settings, runtime, clocks or EdgeClocks())
    ops_app: FastAPI = create_service_app(
        runtime=runtime,
        title="HomeBed gateway",
        on_startup=[edge.start],
        on_shutdown=[edge.stop],
        serve_metrics=False,  # internal listener only (settings.metrics_listen)
    )
    ops_app.state.edge = edge
    # The gateway's own schema is the merged one: drop FastAPI's document and docs routes.
    ops_app.router.routes[:] = [
        route
        for route in ops_app.router.routes
        if getattr(route, "path", None) not in ("/openapi.json", "/redoc")
    ]
    ops_app.include_router(_docs_router(edge))
    app: ASGIApp = GatewayApp(ops_app, lambda: edge.proxy)
    app = SecurityHeaders(app, hsts_seconds=settings.hsts_seconds if settings.env == "prod" else 0)
    if settings.cors_origins:
        app = CORSMiddleware(
            app,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    return app
