"""Prometheus metrics of the chassis. Names start with `homebed_`; every one carries `service`."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "homebed_http_requests_total",
    "HTTP requests by route template and status class.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "homebed_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_FLIGHT = Gauge(
    "homebed_http_requests_in_flight", "HTTP requests being served.", ["service"]
)
KAFKA_PRODUCED = Counter(
    "homebed_kafka_produced_total",
    "Messages acknowledged by Kafka.",
    ["service", "topic"],
)
KAFKA_PRODUCE_ERRORS = Counter(
    "homebed_kafka_produce_errors_total", "Failed produce attempts.", ["service", "topic"]
)
KAFKA_PRODUCER_REPLACED = Counter(
    "homebed_kafka_producer_replaced_total",
    "Producers replaced after Kafka refused their idempotent sequence (e.g. after a broker "
    "restart: OutOfOrderSequenceNumber); each replacement is a fresh producer id.",
    ["service", "producer"],
)
KAFKA_CONSUMED = Counter(
    "homebed_kafka_consumed_total",
    "Messages consumed, by outcome (applied, duplicate, dead_lettered, retried).",
    ["service", "topic", "group", "outcome"],
)
KAFKA_DLQ = Counter(
    "homebed_kafka_dlq_total",
    "Messages sent to a dead-letter topic.",
    ["service", "topic", "group"],
)
KAFKA_LAG = Gauge(
    "homebed_kafka_consumer_lag",
    "Messages behind the partition's high watermark.",
    ["service", "topic", "partition", "group"],
)
KAFKA_HANDLE_LATENCY = Histogram(
    "homebed_kafka_handle_duration_seconds",
    "Time to apply one message (handler + dedupe + commit).",
    ["service", "topic", "group"],
    buckets=LATENCY_BUCKETS,
)
OUTBOX_BACKLOG = Gauge(
    "homebed_outbox_backlog", "Outbox events not yet acknowledged by Kafka.", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "homebed_outbox_oldest_age_seconds",
    "Age of the oldest outbox event not yet acknowledged by Kafka (0 when none is waiting).",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "homebed_outbox_published_total", "Outbox events published.", ["service", "topic"]
)
OUTBOX_EXPRESS = Counter(
    "homebed_outbox_express_total",
    "Events sent right after their commit (handed), sent that way but failed (the relay "
    "takes over: failed), or left to the relay behind an earlier event of their key (queued).",
    ["service", "outcome"],
)
DB_POOL_IN_USE = Gauge(
    "homebed_db_pool_in_use",
    "Database connections checked out of the pool (saturation: compare with the pool size).",
    ["service"],
)
DB_POOL_SIZE = Gauge(
    "homebed_db_pool_size",
    "Connections the pool keeps (it may open as many again as overflow).",
    ["service"],
)
DEPENDENCY_UP = Gauge(
    "homebed_dependency_up",
    "1 when a dependency answered the last readiness check.",
    ["service", "dependency"],
)


EXPRESS_OUTCOMES = ("handed", "failed", "queued")  # chassis.kafka.express, chassis.db


def create_producer_series(service: str, topics: Iterable[str]) -> None:
    """A service's produce counters at 0 from the start (the topics it owns are known before
    its first event): the backbone dashboard needs no `or vector(0)` for them."""
    for topic in topics:
        KAFKA_PRODUCED.labels(service, topic)
        KAFKA_PRODUCE_ERRORS.labels(service, topic)
        OUTBOX_PUBLISHED.labels(service, topic)
    for outcome in EXPRESS_OUTCOMES:
        OUTBOX_EXPRESS.labels(service, outcome)


def render_latest(registry: CollectorRegistry = REGISTRY) -> tuple[bytes, str]:
    """The exposition text and its content type, for `/metrics`."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
