"""INSERT … ON CONFLICT DO UPDATE on PostgreSQL and SQLite: many rows, one statement (`upsert`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.db import UnitOfWork


def dialect_name(target: UnitOfWork | AsyncSession) -> str:
    """ "postgresql" or "sqlite", of a unit of work (inside `async with`) or a session."""
    session = target.session if isinstance(target, UnitOfWork) else target
    return session.get_bind().dialect.name


async def upsert(
    target: UnitOfWork | AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    unless_newer: str | None = None,
) -> None:
    """Insert the rows, or update the non-key columns of those that exist.

    `unless_newer` names a timestamp column: a stored row newer than the incoming one is kept, so
    an event delivered late never undoes a later state.
    """
    if not rows:
        return
    session = target.session if isinstance(target, UnitOfWork) else target
    insert = pg_insert if dialect_name(session) == "postgresql" else sqlite_insert
    statement = insert(table).values(list(rows))
    where = None
    if unless_newer is not None:
        where = table.c[unless_newer] <= statement.excluded[unless_newer]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key] for key in keys],
        set_={column: statement.excluded[column] for column in rows[0] if column not in keys},
        where=where,
    )
    await session.execute(statement)
