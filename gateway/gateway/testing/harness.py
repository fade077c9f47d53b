"""The gateway's test harness: a route table over the fake upstream, a running gateway handle,
and metric reading. The fixtures using it are in gateway/tests/conftest.py."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import REGISTRY

from chassis.http import outbound_client
from chassis.principal import Role
from gateway.auth import dev_issuer
from gateway.auth.partner_keys import PartnerKeyStore, SecretSealer
from gateway.bootstrap import EdgeClocks, create_app
from gateway.edge.routes import RouteRule
from gateway.settings import GatewaySettings, UpstreamSettings
from gateway.testing.servers import free_port, serving_in_loop

FAKE_UPSTREAM = "gateway.testing.fake_upstream:create_app"
H5_ORIGIN = "https://h5.example.test"

PEOPLE = [role for role in Role if role is not Role.HOSPITAL]


def _rule(path: str, access: dict[str, Any], **extra: Any) -> RouteRule:
    return RouteRule(path=path, upstream="echo", access=access, **extra)


TEST_ROUTES = (
    _rule("/v1/eligibility", {"GET": "public", "POST": "public"}),
    _rule(
        "/v1/applications",
        {"GET": ["elder", "family", "provider_admin", "officer"], "POST": ["elder", "family"]},
    ),
    _rule("/v1/applications/*/decision", {"POST": ["officer"]}),
    _rule("/v1/referrals/inbound", {"GET": ["hospital"], "POST": ["hospital"]}),
    _rule("/v1/fhir", {"GET": ["hospital", "provider_admin"]}),  # failures: OperationOutcome
    _rule("/v1/stream", {"GET": ["caregiver", "ops"]}, streaming=True),
    _rule("/v1/flaky", {"GET": ["ops"], "POST": ["ops"]}),
    _rule("/v1/slow", {"GET": ["ops"]}, timeout_seconds=0.5),
)


class SteppedClock:
    """A monotonic clock that moves only when a test calls `advance`: breaker windows and
    token-bucket refills happen when the test says, never because the machine was slow."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@dataclass
class RunningGateway:
    url: str
    client: httpx.AsyncClient
    settings: GatewaySettings
    issuer: dev_issuer.DevIssuer
    monotonic: SteppedClock

    @property
    def metrics_url(self) -> str:
        return f"http://{self.settings.metrics_listen}/metrics"

    def token(self, role: Role, **claims: Any) -> str:
        identity: dict[str, Any] = {"sub": f"user-{role.value}", "provider_id": "P-1"}
        identity.update(claims)
        return self.issuer.mint(role=role, audience=self.settings.jwt_audience, **identity)

    def bearer(self, role: Role, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **claims)}"}

    @contextlib.asynccontextmanager
    async def key_store(self) -> AsyncIterator[PartnerKeyStore]:
        from chassis.db import create_engine

        secret = self.settings.partner_key_encryption_key.get_secret_value()
        store = PartnerKeyStore(
            create_engine(self.settings.database_url), SecretSealer.from_setting(secret)
        )
        try:
            yield store
        finally:
            await store.dispose()


@contextlib.asynccontextmanager
async def run_gateway(
    tmp_path: Path, upstream_url: str, **overrides: Any
) -> AsyncIterator[RunningGateway]:
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
        "dev_issuer_dir": tmp_path / "issuer",
        "upstreams": {"echo": UpstreamSettings(url=upstream_url, timeout_seconds=5)},
        "routes": TEST_ROUTES,
        "breaker_failure_threshold": 3,
        "breaker_open_seconds": 0.5,
        "retry_base_delay_seconds": 0.01,
        "max_body_bytes": 4096,
        "cors_origins": (H5_ORIGIN,),
        "log_json": False,
        "metrics_listen": f"127.0.0.1:{free_port()}",
    }
    values.update(overrides)
    settings = GatewaySettings(**values)
    issuer = dev_issuer.load_or_create(settings.dev_issuer_dir)
    monotonic = SteppedClock()
    # Tokens are minted on the real clock, so `wall` stays real; only `monotonic` is stepped.
    app = create_app(settings, clocks=EdgeClocks(monotonic=monotonic))
    async with (
        serving_in_loop(app) as url,
        outbound_client(base_url=url, timeout=10) as client,
    ):
        yield RunningGateway(
            url=url, client=client, settings=settings, issuer=issuer, monotonic=monotonic
        )


GatewayFactory = Callable[..., contextlib.AbstractAsyncContextManager[RunningGateway]]
