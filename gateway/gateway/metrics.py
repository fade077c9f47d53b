"""Gateway metrics (Prometheus, default registry, served at /metrics). Labels stay bounded:
`route` is the route table's pattern, never the raw path."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from chassis.principal import Role
from gateway.edge.routes import PUBLIC, RouteRule

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

REQUESTS = Counter(
    "homebed_gateway_requests_total",
    "Requests answered by the gateway, by route pattern, upstream, method and status.",
    ["route", "upstream", "method", "status"],
)
LATENCY = Histogram(
    "homebed_gateway_request_duration_seconds",
    "Time from request to the response's first byte (whole response for non-streaming routes).",
    ["route", "upstream", "method"],
    buckets=LATENCY_BUCKETS,
)
RETRIES = Counter(
    "homebed_gateway_upstream_retries_total",
    "Retries of idempotent requests to an upstream.",
    ["route", "upstream"],
)
UPSTREAM_FAILURE_KINDS = ("connect", "timeout", "protocol", "status")  # proxy/forwarding.py
UPSTREAM_FAILURES = Counter(
    "homebed_gateway_upstream_failures_total",
    "Failed upstream attempts by kind (connect, timeout, protocol, status).",
    ["upstream", "kind"],
)
BREAKER_STATE = Gauge(
    "homebed_gateway_breaker_state",
    "Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.",
    ["upstream"],
)
BREAKER_REJECTIONS = Counter(
    "homebed_gateway_breaker_rejections_total",
    "Requests answered 503 at once because the upstream's breaker is open.",
    ["upstream"],
)
RATE_LIMITED = Counter(
    "homebed_gateway_rate_limited_total",
    "Requests refused with 429, by route pattern and limit kind (principal, partner_key, ip).",
    ["route", "kind"],
)
AUTH_FAILURES = Counter(
    "homebed_gateway_auth_failures_total",
    "Refused credentials by scheme (jwt, hmac, none) and machine reason.",
    ["scheme", "reason"],
)
FORBIDDEN = Counter(
    "homebed_gateway_forbidden_total",
    "Authenticated requests refused by the route table's role rules.",
    ["route", "role"],
)


@functools.lru_cache(maxsize=4096)
def request_series(
    route: str, upstream: str, method: str, status: int
) -> tuple[Counter, Histogram]:
    """The labelled children for one kind of answer, looked up once: `labels()` validates and
    locks on every call, a measurable share of a proxied request's cost."""
    return (
        REQUESTS.labels(route, upstream, method, str(status)),
        LATENCY.labels(route, upstream, method),
    )


# Credential schemes and the reasons each can give (auth/jwt_people.py, auth/hmac_partner.py,
# proxy/identity.py for a missing or unknown scheme): bounded, known before any request.
AUTH_FAILURE_REASONS: dict[str, tuple[str, ...]] = {
    "none": ("missing", "malformed"),
    "jwt": (
        "malformed", "unsupported_alg", "unknown_kid", "alg_key_mismatch", "bad_signature",
        "expired", "not_yet_valid", "wrong_issuer", "wrong_audience", "missing_claim",
        "bad_claims", "keys_unavailable",
    ),
    "hmac": (
        "malformed", "bad_signature", "unknown_key", "revoked_key", "stale_timestamp",
        "replayed", "replay_memory_full",
    ),
}  # fmt: skip


def create_edge_series(rules: Iterable[RouteRule]) -> None:
    """Refusal and retry counters at 0 from the start (route patterns, limit kinds, roles,
    credential schemes and reasons are known): the dashboards need no `or vector(0)`.

    A route's limit kinds: `ip` for anonymous callers of its public methods; `principal`
    (people) and `partner_key` (partners' HMAC keys) for the others — the limit is applied before
    the role rules, so a partner's key counts on every authenticated route. Its 403s: the roles
    some authenticated method of it refuses."""
    for rule in rules:
        if PUBLIC in rule.access.values():
            RATE_LIMITED.labels(rule.path, "ip")
        authenticated = [roles for roles in rule.access.values() if roles != PUBLIC]
        if authenticated:
            RATE_LIMITED.labels(rule.path, "principal")
            RATE_LIMITED.labels(rule.path, "partner_key")
            allowed_everywhere = set(Role).intersection(*authenticated)
            for role in set(Role) - allowed_everywhere:
                FORBIDDEN.labels(rule.path, role.value)
        RETRIES.labels(rule.path, rule.upstream)
    for scheme, reasons in AUTH_FAILURE_REASONS.items():
        for reason in reasons:
            AUTH_FAILURES.labels(scheme, reason)
