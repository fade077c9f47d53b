"""Tables of iot-ingest (SQLAlchemy Core: the hot paths write in bulk, rows map to domain objects).

Raw readings are not stored here: they live in Kafka. We keep the registry, the alarms with their
feed (the SSE stream reads it), rule state, latest values and 1-minute aggregates.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from chassis.db import BigIntId, UtcDateTime, chassis_tables
from chassis.kafka.batch import consumer_offsets_table

metadata = MetaData()
CHASSIS_TABLES = chassis_tables(metadata)

beds = Table(
    "beds",
    metadata,
    Column("bed_id", String(64), primary_key=True),
    Column("provider_id", String(64), nullable=False, index=True),
    Column("region_code", String(12), nullable=False),
    Column("status", String(32), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # the elder as intake publishes them for alarms (masked: 张**, 梅园路 * 号 *** 室), never plain
    Column("elder_name_masked", String(100), nullable=True),
    Column("address_masked", String(200), nullable=True),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("provider_id", String(64), nullable=False, index=True),
    Column("bed_id", String(64), nullable=False, index=True),
    Column("device_type", String(32), nullable=False),
    Column("serial", String(100), nullable=False),
    # sha256 of the secret part of the token: tokens are 256-bit random, so a fast hash is enough
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("status", String(16), nullable=False),  # active | revoked | removed
    Column("registered_at", UtcDateTime, nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("token_rotated_at", UtcDateTime, nullable=True),
    Column("last_seq", BigInteger, nullable=False, default=-1),
    Column("last_seen_at", UtcDateTime, nullable=True),
    Column("online", Boolean, nullable=False, default=True),
    # where it is installed: a label for people ("bedroom") and, optionally, coordinates
    Column("location_label", String(100), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    # a consent it needs is not in force (the scope): nothing is accepted from it until it is
    Column("suspended_for", String(32), nullable=True),
    Column("suspended_at", UtcDateTime, nullable=True),
    UniqueConstraint("device_type", "serial", name="uq_devices_type_serial"),
)

# Per bed and consent scope, the record that decides it (intake's bed.consent_* events): a camera
# joins a bed and is heard from only while `video_monitoring` is in force (000 §三(三)).
bed_consents = Table(
    "bed_consents",
    metadata,
    Column("bed_id", String(64), nullable=False),
    Column("scope", String(32), nullable=False),
    Column("consent_id", String(64), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("given_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("in_force", Boolean, nullable=False),
    Column("withdrawn_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("bed_id", "scope", name="pk_bed_consents"),
)

alarms = Table(
    "alarms",
    metadata,
    Column("alarm_id", String(36), primary_key=True),
    Column("bed_id", String(64), nullable=False),
    Column("provider_id", String(64), nullable=False),
    Column("alarm_type", String(40), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    # "<bed>|<type>" while active, NULL once resolved: one active alarm per (bed, type)
    Column("active_key", String(120), nullable=True, unique=True),
    Column("count", Integer, nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("last_raised_at", UtcDateTime, nullable=True),
    Column("arrival_deadline", UtcDateTime, nullable=False),
    Column("device_id", String(36), nullable=True),
    Column("rule_id", String(64), nullable=True),
    Column("detail", Text, nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("assignee", String(200), nullable=True),
    Column("dispatched_by", String(200), nullable=True),
    Column("dispatched_at", UtcDateTime, nullable=True),
    Column("arrived_by", String(200), nullable=True),
    Column("arrived_at", UtcDateTime, nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("note", Text, nullable=True),
    Column("condition_cleared_at", UtcDateTime, nullable=True),
    Column("escalated_levels", JSON, nullable=False),
    Column("sla_breached", Boolean, nullable=False, default=False),
    Column("next_check_at", UtcDateTime, nullable=True),
    Column("region_code", String(12), nullable=True),  # the bed's, as of the raise
    Column("arrival_lat", Float, nullable=True),
    Column("arrival_lon", Float, nullable=True),
    Column("arrival_distance_m", Float, nullable=True),
    # closing a breached alarm without anyone on site: requested by one admin, confirmed by another
    Column("close_requested_by", String(200), nullable=True),
    Column("close_requested_at", UtcDateTime, nullable=True),
    Column("close_confirmed_by", String(200), nullable=True),
    Index("ix_alarms_provider_raised", "provider_id", "raised_at"),
    Index("ix_alarms_next_check", "next_check_at"),
    Index("ix_alarms_assignee", "assignee", "raised_at"),
    Index("ix_alarms_region_raised", "region_code", "raised_at"),
)

alarm_comments = Table(
    "alarm_comments",
    metadata,
    Column("id", BigIntId, primary_key=True, autoincrement=True),
    Column("alarm_id", String(36), nullable=False, index=True),
    Column("author", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("text", Text, nullable=False),
)

# Every alarm change, in order: the SSE stream's source; its id is the Last-Event-ID.
alarm_feed = Table(
    "alarm_feed",
    metadata,
    Column("id", BigIntId, primary_key=True, autoincrement=True),
    Column("provider_id", String(64), nullable=False),
    Column("alarm_id", String(36), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_alarm_feed_provider_id", "provider_id", "id"),
)

# A device event retried with the same seq returns the same alarm instead of counting twice.
device_event_receipts = Table(
    "device_event_receipts",
    metadata,
    Column("device_id", String(36), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("alarm_id", String(36), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("device_id", "seq", name="pk_device_event_receipts"),
)

bed_rule_overrides = Table(
    "bed_rule_overrides",
    metadata,
    Column("bed_id", String(64), primary_key=True),
    Column("overrides", LargeBinary, nullable=False),  # msgspec JSON of BedRuleOverrides
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("disabled", JSON, nullable=True),  # rule ids switched off (officers list these)
    Column("reason", Text, nullable=True),
)

escalation_policies = Table(
    "escalation_policies",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("steps", JSON, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=True),
)

# Who changed a bed's rules or a provider's escalation chain, when, what and why (issue 10).
monitoring_changes = Table(
    "monitoring_changes",
    metadata,
    Column("id", BigIntId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # bed_rules | escalation_policy
    Column("provider_id", String(64), nullable=False),
    Column("bed_id", String(64), nullable=True),
    Column("region_code", String(12), nullable=True),
    Column("changed_by", String(200), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=False),
    Index("ix_monitoring_changes_provider", "provider_id", "id"),
    Index("ix_monitoring_changes_region", "region_code", "id"),
)

# The provider's workers alarms may be dispatched to (fed by its admins; issue 10 item 11).
workers = Table(
    "workers",
    metadata,
    Column("provider_id", String(64), nullable=False),
    Column("worker_id", String(200), nullable=False),  # the worker's principal `sub`
    Column("display_name", String(100), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("provider_id", "worker_id", name="pk_workers"),
)

bed_monitor_states = Table(
    "bed_monitor_states",
    metadata,
    Column("bed_id", String(64), primary_key=True),
    Column("state", LargeBinary, nullable=False),  # msgspec JSON of BedMonitorState
    Column("updated_at", UtcDateTime, nullable=False),
)

# Offsets of the batch consumers (chassis.kafka.batch), committed with their effects.
consumer_offsets = consumer_offsets_table(metadata)

latest_values = Table(
    "latest_values",
    metadata,
    Column("device_id", String(36), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("bed_id", String(64), nullable=False, index=True),
    Column("value", Float, nullable=False),
    Column("ts", UtcDateTime, nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("device_id", "metric", name="pk_latest_values"),
)

minute_aggregates = Table(
    "minute_aggregates",
    metadata,
    Column("bed_id", String(64), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("minute", UtcDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    Column("total", Float, nullable=False),
    Column("minimum", Float, nullable=False),
    Column("maximum", Float, nullable=False),
    PrimaryKeyConstraint("bed_id", "metric", "minute", name="pk_minute_aggregates"),
)
