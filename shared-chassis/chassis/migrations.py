"""Alembic wiring shared by every service: each service keeps its own `migrations/` folder.

A service's `migrations/env.py` is two lines: import its metadata, call `run_migrations_env`.
Its baseline revision calls `create_chassis_tables(op)` next to its own tables.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from chassis.db import BigIntId, UtcDateTime, create_engine


def alembic_config(script_location: str | Path, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade_to_head(engine: AsyncEngine, script_location: str | Path) -> None:
    """Apply the service's migrations on an async engine (the lifespan and tests call this)."""
    config = alembic_config(script_location)

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


def run_migrations_env(target_metadata: MetaData) -> None:
    """Body of a service's `env.py`: online migrations on a given or configured connection."""
    from alembic import context

    def _run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    given: Any = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url (alembic -x / config) or pass a connection")

    async def _online() -> None:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(_run)
        await engine.dispose()

    asyncio.run(_online())


def create_chassis_tables(op: Any) -> None:
    """The outbox and processed_events tables, as in `chassis.db.chassis_tables`."""
    op.create_table(
        "outbox",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "id"])
    op.create_table(
        "processed_events",
        sa.Column("consumer_group", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("processed_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("consumer_group", "event_id", name="pk_processed_events"),
    )


def drop_chassis_tables(op: Any) -> None:
    op.drop_table("processed_events")
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    op.drop_table("outbox")
