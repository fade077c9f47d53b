"""The session's asyncpg connection, for what SQLAlchemy's layer costs too much at a county's
scale (COPY, reads of ~10⁵ rows): in the session's transaction, PostgreSQL only."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def on_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def asyncpg_connection(session: AsyncSession) -> Any:
    """The asyncpg.Connection under the session (its transaction begun if it was not)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
