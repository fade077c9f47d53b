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

ESCALATION_STEPS = Counter(
    "homebed_notify_escalation_steps_total",
    "Alarm chain steps fired (step 1 when raised, n + 1 when iot-ingest escalates to level n),"
    " by step and alarm kind (its type; other: a type notify has no label for).",
    ["step", "kind"],
)
CHAINS = Counter(
    "homebed_notify_escalation_chains_total",
    "Alarm chains acknowledged (someone took the alarm: repeats stop) and exhausted (the chain"
    " reached its last step, the regulator's: nobody arrived within 15 minutes, 001 §四(三)2).",
    ["outcome"],
)

SETTLED = ("sent", "digested", "failed", "cancelled", "unroutable")
CHANNEL_OUTCOMES = ("sent", "failed")


# the steps of iot-ingest's default escalation policy: raised (1), duty manager (2), street
# office (3); a provider's longer policy adds its steps when they first fire
DEFAULT_STEPS = ("1", "2", "3")
CHAIN_OUTCOMES = ("acknowledged", "exhausted")


def show_from_the_start(channels: Iterable[str], alarm_kinds: Iterable[str] = ()) -> None:
    """Every series whose labels are known before the first notification, at 0: a query (a
    panel, the undelivered alert) answers from the start instead of with no data."""
    for channel in channels:
        for outcome in CHANNEL_OUTCOMES:
            DELIVERIES.labels(channel, outcome)
    for status in SETTLED:
        OUTCOMES.labels(status)
    for safety in ("true", "false"):
        FIRST_DELIVERY.labels(safety)
    for step in DEFAULT_STEPS:
        for kind in (*alarm_kinds, "other"):
            ESCALATION_STEPS.labels(step, kind)
    for outcome in CHAIN_OUTCOMES:
        CHAINS.labels(outcome)
