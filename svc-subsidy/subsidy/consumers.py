"""Kafka handlers of svc-subsidy: `TOPIC_HANDLERS = {topic: handler}` (none consumed yet)."""

from __future__ import annotations

from chassis.kafka.consumer import Handler

TOPIC_HANDLERS: dict[str, Handler] = {}
