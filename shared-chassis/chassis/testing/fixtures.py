"""Pytest plugin (loaded for the whole workspace): fixtures for the real Kafka and PostgreSQL.

`make test` starts a broker and a PostgreSQL server on test ports and exports their addresses.
A missing component is an error, never a skip: a test marked `kafka` or `postgres` fails loudly.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

from chassis.testing.migrated import MigratedTemplates

KAFKA_ENV = "HOMEBED_TEST_KAFKA_BOOTSTRAP"
POSTGRES_ENV = "HOMEBED_TEST_POSTGRES_DSN"


def _require_env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"{what} is not running: {name} is unset. Run the tests with `make test`, which "
            "starts the real broker and database (scripts/infra.sh start for a dev shell)."
        )
    return value


def _length(item: pytest.Item) -> float:
    """`@pytest.mark.long(seconds)`: about how long it takes (an ordering hint, never a limit)."""
    long = item.get_closest_marker("long")
    if long is not None:
        return float(long.args[0]) if long.args else 60.0
    return 100.0 if item.get_closest_marker("conformance") else 0.0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (a stable sort keeps the rest in place): xdist hands tests out
    in collection order, and one started last keeps a single worker busy alone at the end."""
    items.sort(key=lambda item: -_length(item))


EXCLUSIVE_MARK_TEXT = "mark.exclusive"


@pytest.hookimpl(tryfirst=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_exclusive_by_text(items: list[pytest.Item]) -> None:
    """`make test` runs the `exclusive` step on the files that contain `mark.exclusive`
    (scripts/test.sh greps for them) and deselects those tests everywhere else: a test marked
    some other way would run nowhere, so it fails the collection instead."""
    texts: dict[str, str] = {}
    for item in items:
        if item.get_closest_marker("exclusive") is None:
            continue
        path = str(item.path)
        if path not in texts:
            texts[path] = item.path.read_text(encoding="utf-8")
        if EXCLUSIVE_MARK_TEXT not in texts[path]:
            raise pytest.UsageError(
                f"{item.nodeid} is marked exclusive, but its file does not contain "
                f"`{EXCLUSIVE_MARK_TEXT}`: write the mark as `pytest.mark.exclusive` there"
            )


@pytest.fixture(scope="session", autouse=True)
def migrated_sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Services started on a new SQLite file get a copy of their migrated template
    (chassis.testing.migrated: the real Alembic chain runs once per service per process)."""
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("chassis.runtime.upgrade_to_head", templates.upgrade)
        patch.setattr("gateway.auth.partner_keys.upgrade_to_head", templates.upgrade, raising=False)
        yield


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """host:port of the real Kafka broker."""
    return _require_env(KAFKA_ENV, "The Kafka broker")


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """Server DSN (postgresql://user@host:port/postgres) of the real PostgreSQL."""
    return _require_env(POSTGRES_ENV, "PostgreSQL")


async def _create_database(dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _database_url(dsn: str, name: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name


@pytest.fixture
def postgres_url(postgres_dsn: str) -> Iterator[str]:
    """A throwaway PostgreSQL database for one test, as an SQLAlchemy asyncpg URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    asyncio.run(_create_database(postgres_dsn, name))
    try:
        yield _database_url(postgres_dsn, name)
    finally:
        asyncio.run(_drop_database(postgres_dsn, name))


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A throwaway SQLite database file for one test."""
    return f"sqlite+aiosqlite:///{tmp_path}/test.db"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on the real PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def unique_name() -> str:
    """A short unique suffix for topics and consumer groups, so tests never share state."""
    return uuid.uuid4().hex[:10]
