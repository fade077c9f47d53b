"""DLQ replay without Kafka: selection, the replayed record, the CLI's output."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import ConsumerRecord

from chassis.dlq import cli
from chassis.dlq.records import (
    DLQ_HEADERS,
    REPLAYED_FROM_HEADER,
    DlqRecord,
    ReplayMessage,
    Selection,
    Skipped,
    build_replay,
    format_list_line,
    format_show,
    parse_time,
    plan_replay,
    replay_headers,
    select_records,
    topics_for,
)
from chassis.kafka.consumer import ConsumerConfig, ConsumerRunner
from homebed_schemas.envelope import Envelope

TOPIC = "demo.notes.v1"
DLQ = f"{TOPIC}.dlq"


def _envelope(text: str = "hello") -> Envelope:
    return Envelope(type="note.recorded", source="demo", subject="n1", data={"text": text})


def _parked(
    *,
    envelope: Envelope | None = None,
    value: bytes | None = None,
    partition: int = 0,
    offset: int = 0,
    failed_at: str = "2025-03-01T08:00:00+00:00",
    original_topic: str = TOPIC,
    group: str = "tally",
    extra_headers: Sequence[tuple[str, bytes]] = (),
) -> DlqRecord:
    event = envelope or _envelope()
    body = value if value is not None else event.model_dump_json().encode()
    headers = (
        ("event_id", str(event.id).encode()),
        ("event_type", event.type.encode()),
        *extra_headers,
        ("x-error", b"poison note\nsecond line"),
        ("x-error-type", b"ValueError"),
        ("x-attempts", b"5"),
        ("x-original-topic", original_topic.encode()),
        ("x-original-partition", str(partition).encode()),
        ("x-original-offset", b"41"),
        ("x-consumer-group", group.encode()),
        ("x-failed-at", failed_at.encode()),
    )
    return DlqRecord(
        topic=DLQ,
        partition=partition,
        offset=offset,
        timestamp_ms=1_740_816_000_000,
        key=b"n1",
        value=body,
        headers=headers,
    )


def test_topics_for_accepts_the_topic_or_its_dlq() -> None:
    assert topics_for(TOPIC) == (TOPIC, DLQ)
    assert topics_for(DLQ) == (TOPIC, DLQ)
    with pytest.raises(ValueError, match="not a topic"):
        topics_for(".dlq")


def test_parse_time_defaults_to_utc() -> None:
    assert parse_time("2025-03-01T08:00:00") == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert parse_time("2025-03-01T16:00:00+08:00") == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert parse_time("2025-03-01") == datetime(2025, 3, 1, tzinfo=UTC)
    assert parse_time("2025-03-01T08:00:00Z") == datetime(2025, 3, 1, 8, tzinfo=UTC)


def test_record_reads_the_envelope_and_the_error_headers() -> None:
    event = _envelope()
    record = _parked(envelope=event)
    assert record.event_id == str(event.id)
    assert record.event_type == "note.recorded"
    assert record.error_type == "ValueError"
    assert record.failed_at == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert record.ref == f"{DLQ}:0:0"


def test_record_without_failed_at_uses_its_timestamp() -> None:
    record = DlqRecord(
        topic=DLQ, partition=0, offset=0, timestamp_ms=1_740_816_000_000, key=None, value=b"x"
    )
    assert record.failed_at == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert record.envelope is None
    assert record.event_id is None


def test_selection_filters_by_time_event_partition_and_offset() -> None:
    first = _parked(offset=0, failed_at="2025-03-01T08:00:00+00:00")
    second = _parked(offset=1, failed_at="2025-03-02T08:00:00+00:00")
    other_partition = _parked(partition=2, offset=0, failed_at="2025-03-03T08:00:00+00:00")
    records = [other_partition, second, first]

    assert select_records(records, Selection()) == [first, second, other_partition]
    since = parse_time("2025-03-02")
    assert select_records(records, Selection(since=since)) == [second, other_partition]
    assert select_records(records, Selection(event_id=second.event_id)) == [second]
    assert select_records(records, Selection(partition=0, offset=1)) == [second]
    assert select_records(records, Selection(offset=0)) == [first, other_partition]
    assert select_records(records, Selection(event_id="nope")) == []


def test_replayed_record_is_the_original_without_dlq_headers() -> None:
    event = _envelope()
    record = _parked(envelope=event, offset=7, extra_headers=[("traceparent", b"00-abc")])
    message = build_replay(record, original_topic=TOPIC)

    assert isinstance(message, ReplayMessage)
    assert message.topic == TOPIC
    assert message.key == b"n1"
    assert message.value == record.value  # the very same envelope bytes: same event id
    assert Envelope.model_validate_json(message.value).id == event.id
    assert message.headers == (
        ("event_id", str(event.id).encode()),
        ("event_type", b"note.recorded"),
        ("traceparent", b"00-abc"),
        (REPLAYED_FROM_HEADER, f"{DLQ}:0:7".encode()),
    )


def test_a_replay_that_failed_again_carries_only_the_latest_origin() -> None:
    record = _parked(offset=9, extra_headers=[(REPLAYED_FROM_HEADER, f"{DLQ}:0:3".encode())])
    headers = replay_headers(record)
    assert [v for k, v in headers if k == REPLAYED_FROM_HEADER] == [f"{DLQ}:0:9".encode()]
    assert not any(k.startswith("x-error") or k in DLQ_HEADERS for k, _ in headers)


def test_records_that_cannot_be_replayed_are_skipped() -> None:
    no_value = DlqRecord(topic=DLQ, partition=0, offset=0, timestamp_ms=0, key=b"k", value=None)
    garbage = _parked(value=b"{not json")
    elsewhere = _parked(original_topic="other.v1")

    assert build_replay(no_value, original_topic=TOPIC) == Skipped(no_value, "no value")
    outcome = build_replay(garbage, original_topic=TOPIC)
    assert isinstance(outcome, Skipped)
    assert "envelope" in outcome.reason
    outcome = build_replay(elsewhere, original_topic=TOPIC)
    assert isinstance(outcome, Skipped)
    assert "other.v1" in outcome.reason


def test_plan_replays_each_event_once() -> None:
    """Two groups parked the same event: one publication reaches both."""
    event = _envelope()
    by_tally = _parked(envelope=event, offset=3, group="tally")
    by_audit = _parked(envelope=event, offset=4, group="audit")
    other = _parked(envelope=_envelope("other"), offset=5)
    garbage = _parked(value=b"nope", offset=6)

    plan = plan_replay([by_tally, by_audit, other, garbage], original_topic=TOPIC)

    assert [m.source for m in plan.messages] == [by_tally, other]
    assert [s.record for s in plan.skipped] == [by_audit, garbage]
    assert plan.skipped[0].reason == f"event already replayed from {by_tally.ref}"


def test_list_line_and_show() -> None:
    event = _envelope()
    record = _parked(envelope=event, partition=1, offset=12)
    line = format_list_line(record)
    assert line == (
        f"offset=12 partition=1 event_id={event.id} type=note.recorded "
        "failed_at=2025-03-01T08:00:00+00:00 group=tally "
        "error=ValueError: poison note second line"
    )
    shown = format_show(record)
    assert f"record: {DLQ}:1:12" in shown
    assert "  x-error-type: ValueError" in shown
    assert "key: n1" in shown
    pretty = shown.split("envelope:\n", 1)[1]
    assert orjson.loads(pretty)["id"] == str(event.id)
    assert '\n  "data": {' in pretty


class _CapturingProducer:
    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []

    async def send_and_wait(self, topic: str, **kwargs: object) -> None:
        self.sent.append({"topic": topic, **kwargs})


async def test_replay_strips_exactly_what_the_consumer_runner_adds() -> None:
    """The real ConsumerRunner parks a record; the replay gives back the original record."""
    producer = _CapturingProducer()
    runner = ConsumerRunner(
        service="svc-test",
        bootstrap="unused:9092",
        handlers={},
        uow_factory=lambda: None,  # type: ignore[arg-type,return-value]
        dlq_producer=producer,  # type: ignore[arg-type]
        config=ConsumerConfig(group_id="tally"),
    )
    event = _envelope()
    original_headers = [("event_id", str(event.id).encode()), ("event_type", b"note.recorded")]
    value = event.model_dump_json().encode()
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        topic=TOPIC,
        partition=2,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"n1",
        value=value,
        checksum=None,
        serialized_key_size=2,
        serialized_value_size=len(value),
        headers=original_headers,
    )
    await runner._dead_letter(record, ValueError("poison note"), 5)

    [parked] = producer.sent
    assert parked["topic"] == DLQ
    dlq_record = DlqRecord(
        topic=DLQ,
        partition=2,
        offset=0,
        timestamp_ms=0,
        key=parked["key"],  # type: ignore[arg-type]
        value=parked["value"],  # type: ignore[arg-type]
        headers=tuple(parked["headers"]),  # type: ignore[call-overload]
    )
    assert dlq_record.error_type == "ValueError"
    assert dlq_record.header("x-consumer-group") == "tally"
    message = build_replay(dlq_record, original_topic=TOPIC)
    assert isinstance(message, ReplayMessage)
    assert (message.topic, message.key, message.value) == (TOPIC, b"n1", value)
    assert message.headers == (*original_headers, (REPLAYED_FROM_HEADER, f"{DLQ}:2:0".encode()))


def test_bootstrap_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli.BOOTSTRAP_ENV, raising=False)
    assert cli.build_parser().parse_args(["list", "--topic", TOPIC]).bootstrap == "127.0.0.1:9092"
    monkeypatch.setenv(cli.BOOTSTRAP_ENV, "kafka:29092")
    args = cli.build_parser().parse_args(["replay", "--topic", TOPIC, "--dry-run"])
    assert (args.bootstrap, args.dry_run) == ("kafka:29092", True)
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["list", "--topic", TOPIC, "--since", "yesterday"])


@pytest.fixture
def fake_broker(monkeypatch: pytest.MonkeyPatch) -> list[ReplayMessage]:
    event = _envelope()
    parked = [
        _parked(envelope=event, offset=0, group="tally"),
        _parked(envelope=event, offset=1, group="audit"),
        _parked(envelope=_envelope("two"), offset=2, failed_at="2025-03-05T00:00:00+00:00"),
    ]
    published: list[ReplayMessage] = []

    async def read_dlq(bootstrap: str, topic: str) -> list[DlqRecord]:
        assert topic == DLQ
        return parked

    async def publish(
        bootstrap: str,
        messages: Sequence[ReplayMessage],
        *,
        on_sent: Callable[[ReplayMessage], None],
    ) -> int:
        for message in messages:
            published.append(message)
            on_sent(message)
        return len(messages)

    monkeypatch.setattr(cli, "read_dlq", read_dlq)
    monkeypatch.setattr(cli, "publish", publish)
    return published


async def _run(argv: list[str]) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = await cli.run(cli.build_parser().parse_args(argv), out)
    return code, out.getvalue().splitlines()


async def test_cli_list_prints_a_line_per_record_and_a_count(
    fake_broker: list[ReplayMessage],
) -> None:
    code, lines = await _run(["list", "--topic", TOPIC])
    assert code == 0
    assert [line.split()[0] for line in lines] == ["offset=0", "offset=1", "offset=2", "count=3"]
    code, lines = await _run(["list", "--topic", DLQ, "--since", "2025-03-04"])
    assert lines[-1] == "count=1"


async def test_cli_replay_dry_run_sends_nothing(fake_broker: list[ReplayMessage]) -> None:
    code, lines = await _run(["replay", "--topic", TOPIC, "--dry-run"])
    assert code == 0
    assert lines[-1] == "replayed=0 skipped=1 would_replay=2"
    assert fake_broker == []


async def test_cli_replay_reports_replayed_and_skipped(fake_broker: list[ReplayMessage]) -> None:
    code, lines = await _run(["replay", "--topic", TOPIC])
    assert code == 0
    assert lines[-1] == "replayed=2 skipped=1"
    assert [m.source.offset for m in fake_broker] == [0, 2]
    code, lines = await _run(["replay", "--topic", TOPIC, "--offset", "2"])
    assert lines[-1] == "replayed=1 skipped=0"


async def test_cli_show_needs_a_record(fake_broker: list[ReplayMessage]) -> None:
    code, _ = await _run(["show", "--topic", TOPIC])
    assert code == 2
    code, _ = await _run(["show", "--topic", TOPIC, "--event-id", "nope"])
    assert code == 1
    code, lines = await _run(["show", "--topic", TOPIC, "--offset", "2"])
    assert code == 0
    assert lines[0] == f"record: {DLQ}:0:2"
