"""Many rows into one table in one round trip: PostgreSQL `COPY`, executemany elsewhere.

Why: a county's month is ~10⁵ settlement lines; row-by-row INSERTs cost ~100× the raw write.
`COPY` runs on the session's own connection, so it is part of the unit of work's transaction
and fires the same row triggers (the ledger's guards) as an INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_rows(
    session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "asyncpg":
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=rows, columns=list(columns)
        )
        return
    await session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
