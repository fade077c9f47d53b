"""The service's `homebed_notify_*` metrics (dashboard panels in deploy/grafana)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Histogram

DELIVERIES = Counter(
    "homebed_notify_deliveries_total",
    "Channel attempts by channel and outcome (sent, failed).",
    ["channel", "outcome"],
)
OUTCOMES = Counter(
    "homebed_notify_delivery_outcomes_total",
    "Deliveries settled, by status (sent, digested, failed, cancelled, unroutable).",
    ["status"],
)
FIRST_DELIVERY = Histogram(
    "homebed_notify_event_to_first_delivery_seconds",
    "From the event (its time) to the first channel that took a delivery of it.",
    ["safety"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60, 300, 900, 3600),
)
TIME_TO_ACK = Histogram(
    "homebed_notify_time_to_acknowledgement_seconds",
    "From an alarm's raise to its acknowledgement, as notify saw it.",
    buckets=(10, 30, 60, 120, 300, 600, 900, 1800, 3600),
)

SETTLED = ("sent", "digested", "failed", "cancelled", "unroutable")
CHANNEL_OUTCOMES = ("sent", "failed")


def show_from_the_start(channels: Iterable[str]) -> None:
    """Every series whose labels are known before the first notification, at 0: a query (a
    panel, the undelivered alert) answers from the start instead of with no data."""
    for channel in channels:
        for outcome in CHANNEL_OUTCOMES:
            DELIVERIES.labels(channel, outcome)
    for status in SETTLED:
        OUTCOMES.labels(status)
    for safety in ("true", "false"):
        FIRST_DELIVERY.labels(safety)
