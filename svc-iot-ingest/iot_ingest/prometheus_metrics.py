"""Metrics of iot-ingest (names start with homebed_; the chassis adds HTTP and Kafka ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from iot_ingest.domain.alarm_types import AlarmType
from iot_ingest.domain.alarms.lifecycle import AlarmOutcome
from iot_ingest.domain.connectivity import Connectivity
from iot_ingest.domain.validation import RefusalReason

SERVICE = "svc-iot-ingest"

READINGS = Counter(
    "homebed_iot_readings_total",
    "Telemetry readings by outcome (accepted, duplicate, refused).",
    ["service", "outcome"],
)
READINGS_REFUSED = Counter(
    "homebed_iot_readings_refused_total", "Refused readings by reason.", ["service", "reason"]
)
TELEMETRY_BATCHES = Counter(
    "homebed_iot_telemetry_batches_total",
    "Telemetry POSTs by result (accepted, rate_limited, unauthorized, suspended, invalid, "
    "unavailable).",
    ["service", "result"],
)
ALARMS_RAISED = Counter(
    "homebed_iot_alarms_raised_total", "Alarms raised, by type.", ["service", "alarm_type"]
)
ALARMS_RESOLVED = Counter(
    "homebed_iot_alarms_resolved_total",
    "Alarms resolved, by type and outcome.",
    ["service", "alarm_type", "outcome"],
)
ALARMS_SLA_BREACHED = Counter(
    "homebed_iot_alarms_sla_breached_total",
    "Alarms with nobody on site within 15 minutes (001 §四(三)2), by type and provider.",
    ["service", "alarm_type", "provider_id"],  # provider ids, never a person
)
_MINUTE_BUCKETS = (15, 30, 60, 120, 180, 300, 420, 600, 900, 1200, 1800, 3600)
ALARM_TIME_TO_ACK = Histogram(
    "homebed_iot_alarm_time_to_ack_seconds",
    "Seconds from raise to acknowledgement.",
    ["service", "alarm_type"],
    buckets=_MINUTE_BUCKETS,
)
ALARM_TIME_TO_ARRIVAL = Histogram(
    "homebed_iot_alarm_time_to_arrival_seconds",
    "Seconds from raise to arrival on site (the rule: 900).",
    ["service", "alarm_type"],
    buckets=_MINUTE_BUCKETS,
)
RULE_SIGNALS = Counter(
    "homebed_iot_rule_signals_total",
    "Rule engine signals by rule and kind.",
    ["service", "rule", "kind"],
)
DEVICE_CONNECTIVITY = Counter(
    "homebed_iot_device_connectivity_total",
    "Devices going offline or coming back online.",
    ["service", "change"],
)
DEVICES_OFFLINE = Gauge(
    "homebed_iot_devices_offline",
    "Active devices offline now (silent past their type's heartbeat), by provider; set by the "
    "connectivity check, off the telemetry and alarm lanes.",
    ["service", "provider_id"],  # provider ids, never a person
)
RULE_ENGINE_FAILURES = Counter(
    "homebed_iot_rule_engine_failures_total",
    "Rule-engine batches or ticks that failed (the consumer re-reads and restarts its poll).",
    ["service"],
)


def _known_from_the_start() -> None:
    """Series whose label values are known before anything happens show at 0 from the start, so
    a dashboard needs no `or vector(0)` and a typo in a panel shows as no data. Providers and rule
    ids are not known in advance: those series appear with their first event."""
    for outcome in ("accepted", "duplicate", "refused", "late"):
        READINGS.labels(SERVICE, outcome)
    for reason in RefusalReason:
        READINGS_REFUSED.labels(SERVICE, reason.value)
    for result in (
        "accepted",
        "rate_limited",
        "unauthorized",
        "suspended",
        "invalid",
        "unavailable",
    ):
        TELEMETRY_BATCHES.labels(SERVICE, result)
    for change in Connectivity:
        DEVICE_CONNECTIVITY.labels(SERVICE, change.value)
    RULE_ENGINE_FAILURES.labels(SERVICE)
    for alarm_type in AlarmType:
        ALARMS_RAISED.labels(SERVICE, alarm_type.value)
        ALARM_TIME_TO_ACK.labels(SERVICE, alarm_type.value)
        ALARM_TIME_TO_ARRIVAL.labels(SERVICE, alarm_type.value)
        for outcome in AlarmOutcome:
            ALARMS_RESOLVED.labels(SERVICE, alarm_type.value, outcome.value)


_known_from_the_start()
