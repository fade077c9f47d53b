"""DLQ replay against the real broker: parked by a bug, replayed after the fix, applied once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chassis.db import UnitOfWork
from chassis.dlq.broker import read_dlq
from chassis.dlq.records import REPLAYED_FROM_HEADER, DlqRecord
from chassis.kafka.consumer import Handler
from chassis.observability.metrics import KAFKA_CONSUMED
from chassis.testing.demo import Tally, count_tally, demo_runtime, record_note
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "svc-demo-tally"


class _Deployment:
    """Which version of the handler is running: the buggy one until `fixed`."""

    fixed = False


def _handler(deployment: _Deployment) -> Handler:
    async def apply_note(uow: UnitOfWork, event: Envelope) -> None:
        if event.data["text"] == "needs the fix" and not deployment.fixed:
            raise KeyError("bug: handler reads a field that is not there")
        uow.session.add(Tally(note_id=event.data["note_id"], text=event.data["text"]))

    return apply_note


async def _dlq_cli(*args: str) -> str:
    """Run `python -m chassis.dlq …` as an operator would; its stdout."""
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "chassis.dlq", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _outcome(topic: str, group: str, outcome: str) -> float:
    return KAFKA_CONSUMED.labels(SERVICE, topic, group, outcome)._value.get()  # type: ignore[no-any-return]


async def _processed(uow: UnitOfWork, group: str) -> int:
    async with uow:
        table = uow.tables.processed_events
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(table).where(table.c.consumer_group == group)
            )
            or 0
        )


async def test_fixed_handler_applies_a_replayed_event_exactly_once(
    kafka_bootstrap: str,
    postgres_url: str,
    sqlite_url: str,
    demo_topic: str,
    unique_name: str,
    run_runtime,
) -> None:
    dlq = f"{demo_topic}.dlq"
    group = f"tally-{unique_name}"
    deployment = _Deployment()
    notes = demo_runtime(name="svc-demo-notes", database_url=sqlite_url, bootstrap=kafka_bootstrap)
    tally = demo_runtime(
        name=SERVICE,
        database_url=postgres_url,
        bootstrap=kafka_bootstrap,
        handlers={demo_topic: _handler(deployment)},
        group=group,
        consumer_max_attempts=2,
    )
    cli = ["--topic", demo_topic, "--bootstrap", kafka_bootstrap]
    async with run_runtime(notes), run_runtime(tally):
        # The bug parks one event; the consumer moves on to the next.
        buggy = await record_note(uow=notes.uow(), text="needs the fix", topic=demo_topic)
        await record_note(uow=notes.uow(), text="fine", topic=demo_topic)
        [parked] = await eventually(
            lambda: read_dlq(kafka_bootstrap, dlq), until=lambda r: len(r) == 1, what="parked"
        )
        await eventually(lambda: count_tally(tally.uow()), until=lambda n: n == 1)
        assert parked.error_type == "KeyError"
        assert parked.key == buggy.id.encode()
        event_id = parked.event_id
        assert event_id is not None

        listed = await _dlq_cli("list", *cli)
        assert listed.splitlines()[-1] == "count=1"
        assert f"event_id={event_id} type=note.recorded" in listed
        assert "error=KeyError: " in listed
        shown = await _dlq_cli("show", *cli, "--event-id", event_id)
        assert f"record: {parked.ref}" in shown
        assert "  x-error-type: KeyError" in shown
        assert '"text": "needs the fix"' in shown

        # Dry run: says what it would do, sends nothing.
        dry = await _dlq_cli("replay", *cli, "--dry-run")
        assert dry.splitlines()[-1] == "replayed=0 skipped=0 would_replay=1"
        assert len(await read_dlq(kafka_bootstrap, demo_topic)) == 2

        # The fix is deployed; the replay puts the event back and it is applied.
        deployment.fixed = True
        replayed = await _dlq_cli("replay", *cli, "--event-id", event_id)
        assert replayed.splitlines()[-1] == "replayed=1 skipped=0"
        await eventually(
            lambda: count_tally(tally.uow()), until=lambda n: n == 2, what="replay applied"
        )
        on_topic = await read_dlq(kafka_bootstrap, demo_topic)
        [again] = [r for r in on_topic if r.header(REPLAYED_FROM_HEADER) is not None]
        _assert_same_event(again, parked)

        # Replaying again republishes it, and the consumers' dedupe applies nothing new.
        duplicates = _outcome(demo_topic, group, "duplicate")
        replayed = await _dlq_cli("replay", *cli)
        assert replayed.splitlines()[-1] == "replayed=1 skipped=0"
        await eventually(
            lambda: _async(_outcome(demo_topic, group, "duplicate")),
            until=lambda n: n == duplicates + 1,
            what="second replay recognised as a duplicate",
        )
        assert await count_tally(tally.uow()) == 2
        assert await _processed(tally.uow(), group) == 2
        assert _outcome(demo_topic, group, "applied") == 2
        assert len(await read_dlq(kafka_bootstrap, dlq)) == 1  # nothing parked again


def _assert_same_event(replayed: DlqRecord, parked: DlqRecord) -> None:
    assert replayed.key == parked.key
    assert replayed.value == parked.value  # same envelope, same event id
    assert replayed.header(REPLAYED_FROM_HEADER) == parked.ref
    assert not any(name.startswith("x-error") for name, _ in replayed.headers)
    assert replayed.header("x-original-offset") is None
    assert replayed.header("event_id") == parked.event_id


async def _async(value: float) -> float:
    return value
