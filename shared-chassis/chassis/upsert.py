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
    """Insert the rows, or update the non-key columns of those that exist (every row has the
    columns of the first; on PostgreSQL asyncpg sends them as one pipelined executemany).

    `unless_newer` names a timestamp column: a stored row newer than the incoming one is kept, so
    an event delivered late never undoes a later state.
    """
    if not rows:
        return
    session = target.session if isinstance(target, UnitOfWork) else target
    statement = _statement(dialect_name(session), table, tuple(keys), tuple(rows[0]), unless_newer)
    await session.execute(statement, list(rows))


_Shape = tuple[str, Table, tuple[str, ...], tuple[str, ...], str | None]
_statements: dict[_Shape, Any] = {}


def _statement(
    dialect: str,
    table: Table,
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    unless_newer: str | None,
) -> Any:
    """The upsert of one shape, built once and executed with the rows as parameters (the
    compiled form is then cached by SQLAlchemy; a statement with the rows as VALUES was built
    and compiled again on every call: a consumer's offsets, each poll of every service)."""
    shape = (dialect, table, keys, columns, unless_newer)
    statement = _statements.get(shape)
    if statement is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table)
        where = None
        if unless_newer is not None:
            where = table.c[unless_newer] <= statement.excluded[unless_newer]
        statement = statement.on_conflict_do_update(
            index_elements=[table.c[key] for key in keys],
            set_={column: statement.excluded[column] for column in columns if column not in keys},
            where=where,
        )
        _statements[shape] = statement
    return statement
