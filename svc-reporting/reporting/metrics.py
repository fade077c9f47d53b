"""Delivery metrics of the T+1 report and the beds of the supervision read model. Labels are
provider ids and county codes only: never a person."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

REPORTS_LATE = Gauge(
    "homebed_city_reports_late",
    "Report days not acknowledged by the city platform by 24:00 of T+1",
    ["provider_id"],
)
REPORTS_FAILED = Gauge(
    "homebed_city_reports_failed",
    "Report batches whose last delivery attempt failed (retried with backoff)",
    ["provider_id"],
)
BEDS = Gauge(
    "homebed_beds",
    "Beds of the supervision read model by county (GB/T 2260, 6 digits) and lifecycle status",
    ["region_code", "status"],
)
DELIVERY_ATTEMPTS = Counter(
    "homebed_city_report_attempts_total",
    "Delivery attempts to the city platform by outcome",
    ["provider_id", "outcome"],
)
UPDATES_OVERDUE = Gauge(
    "homebed_bed_updates_overdue",
    "Bed ends past their platform-update deadline (5 working days, 001 §四(六)) that no report "
    "taken by the city platform carries yet, by provider and county",
    ["provider_id", "region_code"],
)
