"""Metrics of service records (scraped at /metrics with the chassis' own)."""

from __future__ import annotations

from prometheus_client import Counter

MISSED_DAYS = Counter(
    "homebed_records_missed_days_total",
    "Days closed without a verified on-site visit at a bed under service minimums",
    ["provider_id"],
)
BREACHES = Counter(
    "homebed_records_minimum_breaches_total", "minimum.breached events raised", ["rule"]
)
