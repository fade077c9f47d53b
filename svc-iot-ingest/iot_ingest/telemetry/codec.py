"""Wire formats of the telemetry lane, with msgspec (no pydantic on the hot path).

The Kafka message has exactly the shape of `homebed_schemas` Envelope + TelemetryBatch (a test
checks it with the pydantic models), so contract consumers can read it like any other event.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import uuid_utils

from iot_ingest.domain.validation import ReadingIn

TELEMETRY_EVENT_TYPE = "telemetry.batch"


class TelemetryPost(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /v1/telemetry."""

    readings: list[ReadingIn]


class TelemetryData(msgspec.Struct):
    device_id: str
    bed_id: str
    provider_id: str
    device_type: str
    readings: list[ReadingIn]


class TelemetryEnvelope(msgspec.Struct):
    id: str
    type: str
    version: int
    source: str
    subject: str
    time: datetime
    data: TelemetryData
    correlation_id: str | None = None
    causation_id: str | None = None


_encoder = msgspec.json.Encoder()
_post_decoder = msgspec.json.Decoder(TelemetryPost)
_envelope_decoder = msgspec.json.Decoder(TelemetryEnvelope)


def decode_post(body: bytes) -> TelemetryPost:
    return _post_decoder.decode(body)


def encode_telemetry(
    *,
    source: str,
    device_id: str,
    bed_id: str,
    provider_id: str,
    device_type: str,
    readings: list[ReadingIn],
    received_at: datetime,
    correlation_id: str | None = None,
) -> tuple[str, bytes]:
    """(event id, JSON bytes) of one batch; `time` is our receive time, used for liveness.

    `source` is the service's name (the runtime's EventFactory), given by the composition root.
    """
    event_id = str(uuid_utils.uuid7())
    envelope = TelemetryEnvelope(
        id=event_id,
        type=TELEMETRY_EVENT_TYPE,
        version=1,
        source=source,
        subject=device_id,
        time=received_at.astimezone(UTC),
        data=TelemetryData(device_id, bed_id, provider_id, device_type, readings),
        correlation_id=correlation_id,
    )
    return event_id, _encoder.encode(envelope)


def decode_telemetry(raw: bytes) -> TelemetryEnvelope:
    return _envelope_decoder.decode(raw)
