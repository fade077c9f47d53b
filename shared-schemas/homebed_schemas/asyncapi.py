"""The AsyncAPI 3.0 document of every topic, generated from the topic registry.

One channel per topic and one per `<topic>.dlq`; one message per event type whose payload is
the exported JSON Schema file; the producing service owns the `send` operation of its topic.
"""

from __future__ import annotations

from importlib.metadata import version

from homebed_schemas.json_schemas import (
    ENVELOPE_FILE,
    GENERATED_NOTE,
    JsonObject,
    event_schema_file,
)
from homebed_schemas.topics import TOPICS, TopicSpec

ASYNCAPI_VERSION = "3.0.0"
ASYNCAPI_FILE = "asyncapi.json"
KAFKA_BINDING_VERSION = "0.5.0"
CONTENT_TYPE = "application/json"
# The message id used for topics whose event types a later issue will specify.
UNSPECIFIED_EVENTS = "envelope"


def json_pointer(*parts: str) -> str:
    """`#/a/b` with RFC 6901 escaping, so ids with `/` or `~` would still resolve."""
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(escaped)


def message_id(topic: str, event_type: str) -> str:
    return f"{topic}.{event_type}"


def _event_types(spec: TopicSpec) -> list[str]:
    return list(spec.events) or [UNSPECIFIED_EVENTS]


def _key_description(spec: TopicSpec) -> str:
    return (
        f"Kafka key: `data.{spec.key}`. All events of one {spec.key} land on one partition, "
        "so consumers see them in order."
    )


def _message(spec: TopicSpec, event_type: str) -> JsonObject:
    if event_type == UNSPECIFIED_EVENTS:
        payload_file = ENVELOPE_FILE
        summary = f"Any envelope on {spec.name}; its event types are not specified yet."
    else:
        payload_file = event_schema_file(spec.name, event_type)
        summary = f"`{event_type}` on {spec.name}, produced by {spec.producer}."
    return {
        "name": event_type,
        "title": event_type,
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "payload": {"$ref": payload_file},
        "correlationId": {
            "description": "Correlation id of the request that caused the event.",
            "location": "$message.payload#/correlation_id",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": _key_description(spec)},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel(spec: TopicSpec, address: str, description: str) -> JsonObject:
    return {
        "address": address,
        "title": address,
        "description": description,
        "messages": {
            event_type: {
                "$ref": json_pointer("components", "messages", message_id(spec.name, event_type))
            }
            for event_type in _event_types(spec)
        },
        "bindings": {
            # A DLQ mirrors its source topic: same key, same partition count.
            "kafka": {"partitions": spec.partitions, "bindingVersion": KAFKA_BINDING_VERSION}
        },
    }


def _send(spec: TopicSpec, channel: str, title: str, description: str) -> JsonObject:
    return {
        "action": "send",
        "channel": {"$ref": json_pointer("channels", channel)},
        "title": title,
        "description": description,
        "messages": [
            {"$ref": json_pointer("channels", channel, "messages", event_type)}
            for event_type in _event_types(spec)
        ],
    }


def _producer_send(spec: TopicSpec) -> JsonObject:
    operation = _send(
        spec,
        spec.name,
        title=f"{spec.producer} publishes {spec.name}",
        description=f"{spec.producer} is the only producer of {spec.name}. {spec.description}",
    )
    operation["tags"] = [{"name": spec.producer}]
    operation["bindings"] = {
        "kafka": {
            "clientId": {"type": "string", "enum": [spec.producer]},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }
    return operation


def _dlq_send(spec: TopicSpec) -> JsonObject:
    return _send(
        spec,
        spec.dlq,
        title=f"A consumer dead-letters a message of {spec.name}",
        description=(
            f"Any consumer of {spec.name} forwards a message it failed to apply after bounded "
            "retries, key and value unchanged, with the error in the Kafka headers."
        ),
    )


def build_asyncapi() -> JsonObject:
    channels: JsonObject = {}
    operations: JsonObject = {}
    messages: JsonObject = {}
    for spec in TOPICS:
        channels[spec.name] = _channel(
            spec,
            spec.name,
            f"{spec.description} Key: `{spec.key}`. Producer: {spec.producer}.",
        )
        channels[spec.dlq] = _channel(
            spec,
            spec.dlq,
            f"Dead letters of {spec.name}: messages that failed N times, with the error.",
        )
        operations[f"{spec.producer}.send.{spec.name}"] = _producer_send(spec)
        operations[f"consumers.send.{spec.dlq}"] = _dlq_send(spec)
        for event_type in _event_types(spec):
            messages[message_id(spec.name, event_type)] = _message(spec, event_type)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "HomeBed events",
            "version": version("homebed-schemas"),
            "description": (
                "Every Kafka topic of the HomeBed platform (家床平台) with its event types. "
                + GENERATED_NOTE
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
