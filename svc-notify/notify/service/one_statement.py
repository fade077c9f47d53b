"""A transaction's writes in one statement on PostgreSQL (issue 16): the chains the events
opened or moved, the deliveries, the fall's inbox rows and attempts, the events' dedupe rows and the
NOTIFYs, as data-modifying CTEs over JSON parameters.

A poll of one or two falls used to pay six statements for them (chains, deliveries, inbox,
attempts, dedupe rows, `pg_notify`), each a round trip through SQLAlchemy's and asyncpg's
execution layers: most of notify's CPU per fall (`bench/notify_fall_cpu.py`). Here they are
one. The rows go as one JSON array per table (`jsonb_to_recordset`): the statement's text
depends only on which parts are present, so it is built once per shape and its parameters
are a few strings whatever the number of rows. The inbox rows and attempts are the `sent`
deliveries themselves (their ids from the deliveries' `RETURNING`); the inbox NOTIFY names
their ids, as `signals.payloads` would (the caller falls back to `signals.announce_inbox`
when the payload could exceed PostgreSQL's limit). Everything commits or rolls back with the
transaction, as before: the same rows, the same guarantees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, TextClause, text
from sqlalchemy.dialects import postgresql

from chassis.db import UnitOfWork
from notify.signals import DUE_CHANNEL, INBOX_CHANNEL
from notify.tables import CHASSIS_TABLES, AttemptRow, ChainRow, DeliveryRow, InboxRow

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
_DELIVERIES = cast(Table, DeliveryRow.__table__)
_CHAINS = cast(Table, ChainRow.__table__)
_INBOX = cast(Table, InboxRow.__table__)
_ATTEMPTS = cast(Table, AttemptRow.__table__)
_PROCESSED = CHASSIS_TABLES.processed_events
DELIVERY_COLUMNS = tuple(c.key for c in _DELIVERIES.columns if c.key != "id")
CHAIN_COLUMNS = tuple(c.key for c in _CHAINS.columns)
PROCESSED_COLUMNS = tuple(c.key for c in _PROCESSED.columns)
IN_APP = ("in_app", "monitoring_centre")
KEY = ("source_event_id", "step", "recipient_id", "repeat_no")  # uq_delivery_once


@dataclass(frozen=True)
class Shape:
    chains: bool
    changed_chains: bool
    processed: bool
    deliveries: bool
    notify_inbox: bool
    notify_due: bool


@dataclass(frozen=True)
class Written:
    """Per delivery (by its unique key): its id, and its inbox row's id when it went in-app."""

    ids: Mapping[tuple[str, int, str, int], tuple[int, int | None]]


def _q(name: str) -> str:
    return f'"{name}"'


def _insert_from_json(table: Table, columns: Sequence[str], param: str) -> str:
    """`INSERT INTO table (columns) SELECT columns FROM` the rows of a JSON array parameter,
    in the array's order (ids are taken in it)."""
    names = ", ".join(_q(c) for c in columns)
    typed = ", ".join(f"{_q(c)} {table.c[c].type.compile(dialect=_PG)}" for c in columns)
    # names from the table's metadata, values bound: nothing of the input is in the text
    return (
        f"INSERT INTO {_q(table.name)} ({names}) SELECT {names} FROM ROWS FROM "  # noqa: S608
        f"(jsonb_to_recordset(CAST(CAST(:{param} AS text) AS jsonb)) AS ({typed})) "
        f"WITH ORDINALITY AS r({names}, ord) ORDER BY ord"
    )


def _update_from_json(table: Table, columns: Sequence[str], param: str) -> str:
    """`UPDATE table` from the rows of a JSON array parameter, by the first column (the
    primary key)."""
    key, *rest = columns
    typed = ", ".join(f"{_q(c)} {table.c[c].type.compile(dialect=_PG)}" for c in columns)
    assigned = ", ".join(f"{_q(c)} = r.{_q(c)}" for c in rest)
    return (
        f"UPDATE {_q(table.name)} AS t SET {assigned} FROM "  # noqa: S608 - names, not input
        f"jsonb_to_recordset(CAST(CAST(:{param} AS text) AS jsonb)) AS r({typed}) "
        f"WHERE t.{_q(key)} = r.{_q(key)}"
    )


_STATEMENTS: dict[Shape, TextClause] = {}


def statement(shape: Shape) -> TextClause:
    found = _STATEMENTS.get(shape)
    if found is not None:
        return found
    ctes: list[str] = []
    if shape.chains:
        ctes.append(f"c AS ({_insert_from_json(_CHAINS, CHAIN_COLUMNS, 'chains')})")
    if shape.changed_chains:
        ctes.append(f"u AS ({_update_from_json(_CHAINS, CHAIN_COLUMNS, 'changed_chains')})")
    if shape.processed:
        ctes.append(f"p AS ({_insert_from_json(_PROCESSED, PROCESSED_COLUMNS, 'processed')})")
    if shape.deliveries:
        returned = ", ".join(
            _q(c) for c in ("id", *KEY, "subject", "title", "body", "safety", "status")
        )
        returned += ', "channel_used", "sent_at"'
        ctes.append(
            f"d AS ({_insert_from_json(_DELIVERIES, DELIVERY_COLUMNS, 'deliveries')} "
            f"RETURNING {returned})"
        )
        ctes.append(
            'i AS (INSERT INTO "inbox" ("owner", "delivery_id", "subject", "title", "body", '
            '"safety", "created_at", "read_at") SELECT d."recipient_id", d."id", d."subject", '
            'd."title", d."body", d."safety", d."sent_at", NULL FROM d '
            "WHERE d.\"status\" = 'sent' AND d.\"channel_used\" IN ('in_app', "
            '\'monitoring_centre\') ORDER BY d."id" RETURNING "id", "delivery_id", "owner")'
        )
        ctes.append(
            'a AS (INSERT INTO "delivery_attempts" ("delivery_id", "channel", "ok", '
            '"latency_ms", "error", "at") SELECT i."delivery_id", d."channel_used", true, '
            'CAST(:latency_ms AS integer), NULL, d."sent_at" FROM i JOIN d ON d."id" = '
            'i."delivery_id")'
        )
    markers: list[str] = []
    if shape.notify_inbox:
        ctes.append(
            f"ni AS (SELECT pg_notify('{INBOX_CHANNEL}', CAST(:instance AS text) || "  # noqa: S608
            "string_agg(E'\\n' || o.\"owner\" || E'\\t' || o.ids, '' ORDER BY o.\"owner\")) "
            'FROM (SELECT "owner", string_agg(CAST("id" AS text), \',\' ORDER BY "id") '
            'AS ids FROM i GROUP BY "owner") AS o HAVING count(*) > 0)'
        )
        markers.append("(SELECT count(*) FROM ni)")
    if shape.notify_due:
        ctes.append(f"nd AS (SELECT pg_notify('{DUE_CHANNEL}', CAST(:instance AS text)))")
        markers.append("(SELECT count(*) FROM nd)")
    marker = " + ".join(markers) if markers else "0"
    # one row per delivery, and one marker row that makes the NOTIFYs run (a CTE that is not
    # data-modifying runs only when the statement reads it)
    rows = (
        'SELECT d."id", d."source_event_id", d."step", d."recipient_id", d."repeat_no", '
        'i."id" AS inbox_id FROM d LEFT JOIN i ON i."delivery_id" = d."id" UNION ALL '
        if shape.deliveries
        else ""
    )
    sql = (
        f"WITH {', '.join(ctes)} {rows}SELECT NULL, NULL, NULL, NULL, NULL, "
        f"CAST({marker} AS bigint)"
    )
    found = _STATEMENTS[shape] = text(sql)
    return found


def _json(rows: Sequence[Mapping[str, Any]]) -> str:
    return orjson.dumps(list(rows), option=orjson.OPT_NAIVE_UTC).decode()


async def write_all(
    uow: UnitOfWork,
    *,
    chains: Sequence[Mapping[str, Any]],
    changed_chains: Sequence[Mapping[str, Any]],
    processed: Sequence[Mapping[str, Any]],
    deliveries: Sequence[Mapping[str, Any]],
    instance: str | None,
    notify_inbox: bool,
    notify_due: bool,
    latency_ms: int,
) -> Written:
    """Run the one statement; `instance` names the writer in the NOTIFYs."""
    shape = Shape(
        chains=bool(chains),
        changed_chains=bool(changed_chains),
        processed=bool(processed),
        deliveries=bool(deliveries),
        notify_inbox=notify_inbox and bool(deliveries) and instance is not None,
        notify_due=notify_due and instance is not None,
    )
    params: dict[str, Any] = {}
    if shape.chains:
        params["chains"] = _json(chains)
    if shape.changed_chains:
        params["changed_chains"] = _json(changed_chains)
    if shape.processed:
        params["processed"] = _json(processed)
    if shape.deliveries:
        params["deliveries"] = _json(deliveries)
        params["latency_ms"] = latency_ms
    if shape.notify_inbox or shape.notify_due:
        params["instance"] = instance
    result = await uow.session.execute(statement(shape), params)
    ids: dict[tuple[str, int, str, int], tuple[int, int | None]] = {}
    for delivery_id, event_id, step, recipient, repeat_no, inbox_id in result.all():
        if delivery_id is not None:
            ids[(event_id, step, recipient, repeat_no)] = (delivery_id, inbox_id)
    return Written(ids)
