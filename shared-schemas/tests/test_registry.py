import re

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from homebed_schemas import topics
from homebed_schemas.contracts import envelope_model, iter_event_types, typed_envelope_name
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import TOPICS, TOPICS_BY_NAME, TopicSpec, dlq_topic, payload_model

# The topics whose contracts the Foundation issue specifies; later issues add the others.
SPECIFIED_TOPICS = (
    "intake.applications.v1",
    "intake.beds.v1",
    "iot.devices.v1",
    "iot.telemetry.v1",
    "iot.alarms.v1",
    "referral.referrals.v1",
)


def test_topic_names_are_unique_and_versioned() -> None:
    assert len(TOPICS_BY_NAME) == len(TOPICS)
    for spec in TOPICS:
        assert re.fullmatch(r"[a-z]+\.[a-z_]+\.v\d+", spec.name), spec.name
        assert spec.partitions > 0
        assert spec.dlq == dlq_topic(spec.name) == f"{spec.name}.dlq"


@pytest.mark.parametrize("topic", SPECIFIED_TOPICS)
def test_specified_topics_carry_event_types(topic: str) -> None:
    assert TOPICS_BY_NAME[topic].events


@pytest.mark.parametrize(("topic", "event_type"), [(s.name, e) for s, e in iter_event_types()])
def test_every_event_type_has_a_payload_model_with_the_key(topic: str, event_type: str) -> None:
    model = payload_model(topic, event_type)
    assert issubclass(model, BaseModel)
    # The envelope accepts the name (lowercase, dotted, past tense by convention).
    assert Envelope(type=event_type, source="svc-test", subject="s-1").type == event_type
    # The Kafka key is taken from the payload, so every payload must carry it.
    assert TOPICS_BY_NAME[topic].key in model.model_fields


def test_payload_model_names_the_unknown_topic() -> None:
    with pytest.raises(KeyError, match=r"unknown topic 'intake\.nope\.v1'"):
        payload_model("intake.nope.v1", "bed.established")


def test_payload_model_names_the_unknown_event_type() -> None:
    with pytest.raises(KeyError, match=r"'intake\.beds\.v1'.*'bed\.exploded'"):
        payload_model("intake.beds.v1", "bed.exploded")


def test_envelope_model_names_the_unknown_event_type() -> None:
    with pytest.raises(KeyError, match=r"'iot\.alarms\.v1'.*'bed\.established'"):
        envelope_model("iot.alarms.v1", "bed.established")


def test_typed_envelope_name() -> None:
    assert typed_envelope_name("alarm.sla_breached") == "AlarmSlaBreachedEnvelope"


class _Thing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    thing_id: str
    weight_g: int


@pytest.fixture
def thing_topic(monkeypatch: pytest.MonkeyPatch) -> str:
    spec = TopicSpec(
        name="test.things.v1",
        key="thing_id",
        partitions=1,
        producer="svc-test",
        description="A topic that exists only in this test.",
        events={"thing.weighed": _Thing},
    )
    monkeypatch.setitem(topics.TOPICS_BY_NAME, spec.name, spec)
    return spec.name


def test_typed_envelope_validates_its_payload(thing_topic: str) -> None:
    model = envelope_model(thing_topic, "thing.weighed")
    raw = {
        "type": "thing.weighed",
        "source": "svc-test",
        "subject": "t-1",
        "data": {"thing_id": "t-1", "weight_g": 12},
    }
    envelope = model.model_validate(raw)
    assert isinstance(envelope, Envelope)
    assert envelope.data == _Thing(thing_id="t-1", weight_g=12)
    # The plain envelope reads the same wire message; the typed one round-trips it.
    wire = envelope.model_dump_json()
    assert Envelope.model_validate_json(wire).data == {"thing_id": "t-1", "weight_g": 12}
    assert model.model_validate_json(wire) == envelope

    with pytest.raises(ValidationError) as caught:
        model.model_validate({**raw, "data": {"thing_id": "t-1", "weight_g": "heavy"}})
    assert [e["loc"] for e in caught.value.errors()] == [("data", "weight_g")]

    with pytest.raises(ValidationError) as caught:
        model.model_validate({**raw, "type": "thing.dropped"})
    assert [e["loc"] for e in caught.value.errors()] == [("type",)]


@pytest.mark.parametrize(("topic", "event_type"), [(s.name, e) for s, e in iter_event_types()])
def test_real_typed_envelopes_reject_an_empty_payload(topic: str, event_type: str) -> None:
    model = envelope_model(topic, event_type)
    raw = {"type": event_type, "source": "svc-test", "subject": "s-1", "data": {}}
    with pytest.raises(ValidationError) as caught:
        model.model_validate(raw)
    assert {error["loc"][0] for error in caught.value.errors()} == {"data"}

    with pytest.raises(ValidationError) as caught:
        model.model_validate({**raw, "type": "other.event"})
    assert ("type",) in [error["loc"] for error in caught.value.errors()]
