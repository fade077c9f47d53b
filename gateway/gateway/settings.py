"""Gateway settings (env prefix HOMEBED_GATEWAY_), typed; production refuses dev secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, TypeAdapter, model_validator
from pydantic_settings import SettingsConfigDict

from chassis.policy import load_yaml
from chassis.settings import ServiceSettings
from gateway.edge.routes import RouteRule

DEFAULT_ROUTES_FILE = Path(__file__).with_name("routes.yaml")
DEV_PARTNER_KEY_ENCRYPTION_KEY = "dev-only-partner-key-encryption-key-change-me"


class UpstreamSettings(BaseModel):
    """One backend service: where it listens and how the gateway treats it."""

    url: str = Field(pattern=r"^https?://")
    timeout_seconds: float = Field(default=10.0, gt=0)
    connect_timeout_seconds: float = Field(default=1.0, gt=0)
    max_connections: int = Field(default=200, ge=1)
    max_keepalive_connections: int = Field(default=100, ge=0)
    openapi_path: str = "/openapi.json"


DEFAULT_UPSTREAM_PORTS = {
    "intake": 8001,
    "service-records": 8002,
    "iot-ingest": 8003,
    "referral": 8004,
    "subsidy": 8005,
    "reporting": 8007,
    "notify": 8006,
}


def default_upstreams() -> dict[str, UpstreamSettings]:
    ports = DEFAULT_UPSTREAM_PORTS
    return {name: UpstreamSettings(url=f"http://127.0.0.1:{port}") for name, port in ports.items()}


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEBED_GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///var/gateway.db"
    kafka_enabled: bool = False

    # People: JWT bearer tokens from the identity provider (or the dev issuer).
    jwt_issuer: str = "homebed-dev-issuer"
    jwt_audience: str = "homebed-api"
    jwt_algorithms: tuple[str, ...] = ("RS256", "EdDSA")
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    dev_issuer_dir: Path = Path("var/gateway-dev-issuer")

    # Partner hospitals: API key + HMAC.
    partner_key_encryption_key: SecretStr = SecretStr(DEV_PARTNER_KEY_ENCRYPTION_KEY)
    hmac_window_seconds: int = Field(default=300, ge=30, le=900)
    # memory: one gateway; database: several replicas sharing the gateway database (PostgreSQL)
    replay_store: Literal["memory", "database"] = "memory"
    # /metrics is not served on the public port: Prometheus scrapes this internal listener
    # (host:port; empty disables it). Keep it off any address reachable from outside.
    metrics_listen: str = "127.0.0.1:9400"

    # Routing.
    upstreams: dict[str, UpstreamSettings] = Field(default_factory=default_upstreams)
    routes_file: Path = DEFAULT_ROUTES_FILE
    routes: tuple[RouteRule, ...] | None = None
    internal_token_ttl_seconds: int = Field(default=60, ge=5, le=600)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    retry_max: int = Field(default=2, ge=0, le=5)
    retry_base_delay_seconds: float = Field(default=0.05, ge=0)
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_open_seconds: float = Field(default=10.0, gt=0)

    # Rate limits ("<n>/<second|minute|hour>"): a token bucket in memory by default; on Redis
    # ("redis://host:port", shared by every replica) one of the `limits` strategies.
    rate_limit_storage: str = "memory://"
    rate_limit_strategy: Literal[
        "token-bucket", "moving-window", "sliding-window-counter", "fixed-window"
    ] = "token-bucket"
    rate_limit_per_principal: str = "600/minute"
    rate_limit_per_partner_key: str = "300/minute"
    rate_limit_per_ip_public: str = "60/minute"
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)

    # Browser callers.
    cors_origins: tuple[str, ...] = ()
    hsts_seconds: int = Field(default=31_536_000, ge=0)

    @model_validator(mode="after")
    def _production_identity(self) -> GatewaySettings:
        if self.env == "prod" and not (self.jwks_url or self.jwks_file):
            raise ValueError("production needs jwks_url or jwks_file (the identity provider's)")
        if self.env == "prod" and self.jwt_issuer == "homebed-dev-issuer":
            raise ValueError("production must not trust the dev issuer")
        if self.rate_limit_strategy == "token-bucket" and "memory" not in self.rate_limit_storage:
            raise ValueError("rate_limit_strategy token-bucket needs rate_limit_storage memory://")
        missing = {rule.upstream for rule in self.route_rules()} - set(self.upstreams)
        if missing:
            raise ValueError(f"routes name unknown upstreams: {sorted(missing)}")
        return self

    def route_rules(self) -> tuple[RouteRule, ...]:
        """The route table: given inline, or read from routes_file (YAML)."""
        if self.routes is not None:
            return self.routes
        return load_route_rules(self.routes_file)

    def effective_jwks_file(self) -> Path:
        return self.jwks_file or self.dev_issuer_dir / "jwks.json"


def load_route_rules(path: Path) -> tuple[RouteRule, ...]:
    document: Any = load_yaml(path.read_text(encoding="utf-8"))
    return TypeAdapter(tuple[RouteRule, ...]).validate_python(document)
