"""The event envelope every topic carries (architecture.md, "Events")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import uuid_utils.compat as uuid_compat
from pydantic import BaseModel, ConfigDict, Field, field_validator


def new_event_id() -> UUID:
    """A UUIDv7: time-ordered, so ids sort roughly by creation."""
    return uuid_compat.uuid7()


def utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """An immutable, versioned fact: `type` is past tense (`bed.established`)."""

    # The serializer always writes every field, so the exported (serialization) schema requires
    # them all: a consumer may rely on `id` and `time` being present.
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )

    id: UUID = Field(default_factory=new_event_id)
    type: str = Field(min_length=3, pattern=r"^[a-z_]+(\.[a-z_]+)+$")
    version: int = Field(default=1, ge=1)
    source: str = Field(min_length=1, description="producing service, e.g. svc-intake")
    subject: str = Field(min_length=1, description="the aggregate id the event is about")
    time: datetime = Field(default_factory=utc_now)
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time")
    @classmethod
    def _must_be_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone (UTC)")
        return value.astimezone(UTC)
