"""`python -m chassis.dlq list|show|replay --topic <topic> …`: inspect and re-run dead letters.

Like OpenHIM's re-run: once the handler's bug is fixed, `replay` puts the parked events back on
their original topic, unchanged (same key, same envelope, same event id), so the consumers'
dedupe applies each one at most once however many times it is replayed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from aiokafka.errors import KafkaError

from chassis.dlq.broker import DlqError, publish, read_dlq
from chassis.dlq.records import (
    DlqRecord,
    ReplayMessage,
    Selection,
    format_list_line,
    format_show,
    parse_time,
    plan_replay,
    select_records,
    topics_for,
)

BOOTSTRAP_ENV = "HOMEBED_KAFKA_BOOTSTRAP"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def _since(text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--topic", required=True, help="the original topic (or its .dlq): intake.beds.v1"
    )
    common.add_argument(
        "--bootstrap",
        default=os.environ.get(BOOTSTRAP_ENV) or DEFAULT_BOOTSTRAP,
        help=f"Kafka host:port (default: ${BOOTSTRAP_ENV}, else {DEFAULT_BOOTSTRAP})",
    )
    common.add_argument(
        "--since", type=_since, help="dead-lettered at or after this ISO time (UTC if no zone)"
    )
    common.add_argument("--event-id", help="only this event id")
    common.add_argument("--partition", type=int, help="only this DLQ partition")
    common.add_argument("--offset", type=int, help="only this DLQ offset")

    parser = argparse.ArgumentParser(
        prog="python -m chassis.dlq",
        description="List, show and replay the dead-lettered events of a topic (<topic>.dlq).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", parents=[common], help="one line per DLQ record, then count=<n>")
    commands.add_parser(
        "show", parents=[common], help="the full record(s) for --event-id or --offset"
    )
    replay = commands.add_parser(
        "replay",
        parents=[common],
        help="republish the selected records to the original topic: replayed=<n> skipped=<n>",
    )
    replay.add_argument(
        "--dry-run", action="store_true", help="say what would be replayed, send nothing"
    )
    return parser


def selection_from(args: argparse.Namespace) -> Selection:
    return Selection(
        since=args.since, event_id=args.event_id, partition=args.partition, offset=args.offset
    )


async def run(args: argparse.Namespace, out: TextIO) -> int:
    original, dlq = topics_for(args.topic)
    if args.command == "show" and args.event_id is None and args.offset is None:
        print("show needs --event-id or --offset (with --partition)", file=sys.stderr)
        return 2
    records = select_records(await read_dlq(args.bootstrap, dlq), selection_from(args))
    if args.command == "list":
        for record in records:
            print(format_list_line(record), file=out)
        print(f"count={len(records)}", file=out)
        return 0
    if args.command == "show":
        if not records:
            print(f"no matching record in {dlq}", file=sys.stderr)
            return 1
        print("\n\n".join(format_show(r) for r in records), file=out)
        return 0
    return await _replay(
        records, original=original, bootstrap=args.bootstrap, dry_run=args.dry_run, out=out
    )


async def _replay(
    records: Sequence[DlqRecord],
    *,
    original: str,
    bootstrap: str,
    dry_run: bool,
    out: TextIO,
) -> int:
    plan = plan_replay(records, original_topic=original)
    for skipped in plan.skipped:
        print(
            f"skipped {skipped.record.ref} event_id={skipped.record.event_id or '-'} "
            f"reason={skipped.reason}",
            file=out,
        )
    if dry_run:
        for message in plan.messages:
            print(f"would replay {_describe(message)}", file=out)
        print(f"replayed=0 skipped={len(plan.skipped)} would_replay={len(plan.messages)}", file=out)
        return 0

    acked: list[ReplayMessage] = []

    def sent(message: ReplayMessage) -> None:
        acked.append(message)
        print(f"replayed {_describe(message)}", file=out)

    try:
        await publish(bootstrap, plan.messages, on_sent=sent)
    finally:
        # Also after a failure part-way: what is acked is on the topic (replaying it is harmless).
        print(f"replayed={len(acked)} skipped={len(plan.skipped)}", file=out)
    return 0


def _describe(message: ReplayMessage) -> str:
    return f"{message.source.ref} event_id={message.source.event_id} -> {message.topic}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run(args, sys.stdout))
    except (DlqError, KafkaError, ValueError) as exc:
        print(f"dlq: {exc}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "main", "run", "selection_from"]
