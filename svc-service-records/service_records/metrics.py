"""Metrics of service records (scraped at /metrics with the chassis' own)."""

from __future__ import annotations

from prometheus_client import Counter

from homebed_schemas.events.records import MinimumRule

MISSED_DAYS = Counter(
    "homebed_records_missed_days_total",
    "Days closed without a verified on-site visit at a bed under service minimums",
    ["provider_id"],
)
BREACHES = Counter(
    "homebed_records_minimum_breaches_total", "minimum.breached events raised", ["rule"]
)

# every rule shows from the start, at 0 (the dashboard needs no `or vector(0)`); providers are
# known only when one misses a day, so MISSED_DAYS has no series before that
for _rule in MinimumRule:
    BREACHES.labels(rule=_rule.value)
