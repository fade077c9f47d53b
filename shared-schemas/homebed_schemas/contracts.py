"""Typed envelopes: the Envelope whose `data` is the payload model of one event type.

The exported JSON Schemas are generated from these models, so a consumer that validates with
`envelope_model(topic, event_type)` checks exactly what the checked-in contract says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

from pydantic import create_model

from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import TOPICS, TopicSpec, payload_model


def iter_event_types() -> Iterator[tuple[TopicSpec, str]]:
    """Every (topic, event type) pair of the registry, in registry order."""
    for spec in TOPICS:
        for event_type in spec.events:
            yield spec, event_type


def typed_envelope_name(event_type: str) -> str:
    """`alarm.sla_breached` -> `AlarmSlaBreachedEnvelope` (the schema title)."""
    words = re.split(r"[._]", event_type)
    return "".join(word.capitalize() for word in words) + "Envelope"


@cache
def envelope_model(topic: str, event_type: str) -> type[Envelope]:
    """The Envelope subclass with `type` fixed to `event_type` and `data` typed.

    Raises KeyError naming the unknown topic or event type (see `payload_model`).
    """
    payload = payload_model(topic, event_type)
    # Literal of a runtime string: the schema gets `"const": event_type`.
    type_literal: Any = Literal[event_type]
    return create_model(
        typed_envelope_name(event_type),
        __base__=Envelope,
        __doc__=f"`{event_type}` on `{topic}`: the envelope with its typed payload.",
        __module__=__name__,
        type=(type_literal, ...),
        data=(payload, ...),
    )
