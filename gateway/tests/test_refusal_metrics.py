"""The gateway's refusal counters exist at 0 from the start, one series per route pattern and
limit kind and per credential scheme and reason: the golden-signals panel of 401s and 429s needs
no `or vector(0)` (tests/test_prometheus_scrape.py checks it against a real Prometheus)."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import REGISTRY

from gateway import metrics
from gateway.bootstrap import create_app
from gateway.edge.routes import PUBLIC
from gateway.settings import GatewaySettings

AUTH = Path(metrics.__file__).parent / "auth"


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_every_route_and_credential_reason_starts_at_zero(tmp_path: Path) -> None:
    settings = GatewaySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
        dev_issuer_dir=tmp_path / "issuer",
        metrics_listen="",
        log_json=False,
    )
    create_app(settings)
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
    for scheme, reasons in metrics.AUTH_FAILURE_REASONS.items():
        for reason in reasons:
            value = sample("homebed_gateway_auth_failures_total", scheme=scheme, reason=reason)
            assert value is not None, (scheme, reason)


def test_the_reasons_listed_are_the_ones_each_scheme_raises() -> None:
    """A reason added to a verifier joins the list, or its first refusal appears from nowhere."""
    for scheme, module in (("jwt", "jwt_people.py"), ("hmac", "hmac_partner.py")):
        raised = set(re.findall(r"FailureReason\.([A-Z_]+)", (AUTH / module).read_text()))
        assert {r.lower() for r in raised} == set(metrics.AUTH_FAILURE_REASONS[scheme]), scheme
