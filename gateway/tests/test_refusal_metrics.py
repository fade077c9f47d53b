"""The gateway's refusal and retry counters exist at 0 from the start: per route pattern and
limit kind, route and refused role, route and upstream, credential scheme and reason. The
golden-signals panels of refusals need no `or vector(0)` (tests/test_prometheus_scrape.py runs
them against a real Prometheus, which also sees the breaker rejections created per upstream)."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import REGISTRY

from chassis.principal import Role
from gateway import metrics
from gateway.bootstrap import create_app
from gateway.edge.routes import PUBLIC
from gateway.settings import GatewaySettings

AUTH = Path(metrics.__file__).parent / "auth"


class Samples:
    """The registry read once: `REGISTRY.get_sample_value` collects every metric of the process
    per call (seconds over the thousands of lookups below); nothing changes the registry between
    them, so one collection answers them all alike."""

    def __init__(self) -> None:
        self._values = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in REGISTRY.collect()
            for sample in family.samples
        }

    def __call__(self, name: str, **labels: str) -> float | None:
        return self._values.get((name, frozenset(labels.items())))


def test_every_route_and_credential_reason_starts_at_zero(tmp_path: Path) -> None:
    settings = GatewaySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
        dev_issuer_dir=tmp_path / "issuer",
        metrics_listen="",
        log_json=False,
    )
    create_app(settings)
    sample = Samples()
    rules = settings.route_rules()
    assert rules
    for rule in rules:
        public = PUBLIC in rule.access.values()
        authenticated = any(v != PUBLIC for v in rule.access.values())
        if public:
            assert (
                sample("homebed_gateway_rate_limited_total", route=rule.path, kind="ip") is not None
            )
        for kind in ("principal", "partner_key"):
            value = sample("homebed_gateway_rate_limited_total", route=rule.path, kind=kind)
            # other tests of this process may have counted refusals: existence is the point
            assert (value is not None) is authenticated, (rule.path, kind)
        assert (
            sample(
                "homebed_gateway_upstream_retries_total", route=rule.path, upstream=rule.upstream
            )
            is not None
        )
        if authenticated:
            refused = [
                r for r in Role if not all(r in v for v in rule.access.values() if v != PUBLIC)
            ]
            for role in refused:
                value = sample("homebed_gateway_forbidden_total", route=rule.path, role=role.value)
                assert value is not None, (rule.path, role)
    for scheme, reasons in metrics.AUTH_FAILURE_REASONS.items():
        for reason in reasons:
            value = sample("homebed_gateway_auth_failures_total", scheme=scheme, reason=reason)
            assert value is not None, (scheme, reason)


def test_the_reasons_listed_are_the_ones_each_scheme_raises() -> None:
    """A reason added to a verifier joins the list, or its first refusal appears from nowhere."""
    for scheme, module in (("jwt", "jwt_people.py"), ("hmac", "hmac_partner.py")):
        raised = set(re.findall(r"FailureReason\.([A-Z_]+)", (AUTH / module).read_text()))
        assert {r.lower() for r in raised} == set(metrics.AUTH_FAILURE_REASONS[scheme]), scheme
