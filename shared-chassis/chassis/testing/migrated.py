"""Migrated SQLite files for tests: each service's Alembic chain runs once per test process.

Every test that starts a service on a fresh SQLite file used to run the service's whole
migration chain (Alembic loads every revision script, then replays the DDL): a few hundred
milliseconds, paid by more than a thousand tests. Here the first start of each service in a
test process runs the real chain (`chassis.migrations.upgrade_to_head`, unchanged) into a
template file, and every later start on a *new, empty* file copies that template instead: the
same bytes the chain produced. A file that already exists (a restarted app, a database a test
filled or migrated part-way itself) always goes through the real chain, and so do the
migration tests, which call `chassis.migrations.upgrade_to_head` themselves.

PostgreSQL databases are never templated here: the integration tests migrate them for real.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from chassis.db import create_engine
from chassis.migrations import upgrade_to_head


class MigratedTemplates:
    """`upgrade` has `chassis.migrations.upgrade_to_head`'s signature; installed by the pytest
    plugin (chassis.testing.fixtures) where the runtime and the gateway's key store call it."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._templates: dict[str, Path] = {}

    async def upgrade(self, engine: AsyncEngine, script_location: str | Path) -> None:
        target = _new_sqlite_file(engine)
        if target is None:
            await upgrade_to_head(engine, script_location)
            return
        shutil.copyfile(await self._template(str(script_location)), target)

    async def _template(self, script_location: str) -> Path:
        key = str(script_location)
        template = self._templates.get(key)
        if template is None:
            template = self._directory / f"migrated-{len(self._templates)}.db"
            engine = create_engine(f"sqlite+aiosqlite:///{template}")
            try:
                await upgrade_to_head(engine, script_location)
            finally:
                await engine.dispose()
            _single_file(template)
            self._templates[key] = template
        return template


def _new_sqlite_file(engine: AsyncEngine) -> Path | None:
    """The file of a SQLite engine whose database does not exist yet (else None)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    if path.exists() and path.stat().st_size > 0:
        return None
    if path.with_name(path.name + "-wal").exists():
        return None
    return path


def _single_file(path: Path) -> None:
    """Fold the write-ahead log into the file so one copy is the whole database (the engine
    that opens a copy switches it back to WAL, as it does for every connection)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
