"""The Alembic migrations build exactly the tables the code maps, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chassis.db import create_engine
from chassis.migrations import upgrade_to_head
from referral.bootstrap import MIGRATIONS
from referral.tables import Base


async def test_upgrade_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)

        def diff(connection: Any) -> list[Any]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert differences == []
        assert set(Base.metadata.tables) <= tables
    finally:
        await engine.dispose()
