from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from homebed_schemas.envelope import Envelope, new_event_id

BEIJING = timezone(timedelta(hours=8))


def _envelope(**overrides: object) -> Envelope:
    fields: dict[str, object] = {
        "type": "bed.established",
        "source": "svc-intake",
        "subject": "bed-1",
        "data": {"bed_id": "bed-1"},
    }
    fields.update(overrides)
    return Envelope.model_validate(fields)


def test_naive_time_is_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        _envelope(time=datetime(2025, 3, 1, 8, 0))


def test_aware_time_is_normalised_to_utc() -> None:
    envelope = _envelope(time=datetime(2025, 3, 1, 8, 0, tzinfo=BEIJING))
    assert envelope.time == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    assert envelope.time.utcoffset() == timedelta(0)


def test_default_time_is_utc_now() -> None:
    before = datetime.now(UTC)
    envelope = _envelope()
    assert before <= envelope.time <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "Bed.Established"),
        ("type", "established"),
        ("type", 42),
        ("version", 0),
        ("version", "one"),
        ("source", ""),
        ("subject", ""),
        ("id", "not-a-uuid"),
        ("time", "yesterday"),
        ("data", ["not", "a", "mapping"]),
    ],
)
def test_bad_field_values_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        _envelope(**{field: value})
    assert [error["loc"][0] for error in caught.value.errors()] == [field]


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        _envelope(tenant="provider-a")


def test_envelope_is_frozen() -> None:
    envelope = _envelope()
    with pytest.raises(ValidationError, match="frozen"):
        envelope.subject = "bed-2"  # type: ignore[misc]
    assert envelope.subject == "bed-1"


def test_ids_are_uuid7() -> None:
    before_ms = int(datetime.now(UTC).timestamp() * 1000)
    event_id = _envelope().id
    after_ms = int(datetime.now(UTC).timestamp() * 1000)
    assert event_id.version == 7
    # The first 48 bits of a UUIDv7 are its Unix time in milliseconds.
    assert before_ms <= event_id.int >> 80 <= after_ms


def test_ids_are_time_ordered_and_unique() -> None:
    ids = [new_event_id() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_json_round_trip_keeps_every_field() -> None:
    envelope = _envelope(correlation_id="req-1", causation_id="evt-0", version=2)
    assert Envelope.model_validate_json(envelope.model_dump_json()) == envelope
