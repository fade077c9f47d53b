"""Database plumbing: engines for SQLite and PostgreSQL, the chassis tables, the unit of work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar, cast

import orjson
from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Select,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator

from chassis.events import EventFactory
from chassis.observability.metrics import OUTBOX_EXPRESS
from homebed_schemas.envelope import Envelope

RepoT = TypeVar("RepoT")

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class ChassisTables:
    outbox: Table
    processed_events: Table


def chassis_tables(metadata: MetaData) -> ChassisTables:
    """Add the `outbox` and `processed_events` tables to a service's own metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigIntId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Index("ix_outbox_unsent", "sent_at", "id"),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("consumer_group", String(200), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False),
        PrimaryKeyConstraint("consumer_group", "event_id", name="pk_processed_events"),
    )
    return ChassisTables(outbox=outbox, processed_events=processed)


DatabasePing = Literal["query", "socket"]


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, ping: DatabasePing = "query"
) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout.

    `ping`: how a pooled PostgreSQL connection is checked before use. `query` (SQLAlchemy's
    pre-ping) costs three round trips per transaction (BEGIN, `;`, ROLLBACK); `socket` only
    replaces a connection whose socket the server closed (a restart, an idle timeout), and a
    connection that broke silently fails its first statement, after which SQLAlchemy drops the
    whole pool.
    """
    if url.startswith("sqlite"):
        engine = _create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = _create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=ping == "query"
    )
    if ping == "socket":
        event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    driver_connection = getattr(dbapi_connection, "_connection", None)
    if driver_connection is not None and driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")  # the pool replaces it


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


class OutboxSignal:
    """Wakes the relay as soon as a transaction with events commits (no waiting for the poll)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait_at_most(self, seconds: float) -> bool:
        """True when notified, False when the time ran out."""
        notified = True
        try:
            await asyncio.wait_for(self._event.wait(), seconds)
        except TimeoutError:
            notified = False
        self._event.clear()
        return notified


@dataclass(frozen=True)
class OutgoingEvent:
    """An event to stage with `UnitOfWork.emit_many`: what `emit` takes, as one value."""

    topic: str
    key: str
    type_: str
    subject: str
    data: BaseModel | Mapping[str, Any]
    time: datetime | None = None


@dataclass(frozen=True)
class StagedEvent:
    """An outbox row's content, kept in memory to be sent right after the commit (express)."""

    event_id: str
    topic: str
    key: str
    payload: bytes
    headers: dict[str, str]


class ExpressSender(Protocol):
    """What the unit of work needs of `chassis.kafka.express.ExpressPublisher`."""

    @property
    def usable(self) -> bool: ...

    def may_overtake(self, earlier: Sequence[str]) -> bool: ...

    async def hand_off(self, events: Sequence[StagedEvent]) -> None: ...


@dataclass(frozen=True)
class CommitTiming:
    """How the last commit went: the commit call, the express hand-off, and when (epoch s)."""

    commit_seconds: float
    handoff_seconds: float
    committed_at: float
    express_events: int


class UnitOfWork:
    """One transaction: `async with uow: ...; await uow.commit()`. Rolls back unless committed.

    Events published through `publish` go into the outbox table in the same transaction, so a
    crash can never commit the rows without their events, or the events without the rows.
    Events staged `express=True` are also handed to the producer right after the commit
    (`chassis.kafka.express`); the outbox row is the fallback.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        *,
        signal: OutboxSignal | None = None,
        correlation_id: Callable[[], str | None] | None = None,
        events: EventFactory | None = None,
        express: ExpressSender | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._express = express
        self._express_events: list[StagedEvent] = []
        self._express_keys: set[tuple[str, str]] = set()
        self._queued_keys: set[tuple[str, str]] = set()
        self.last_commit: CommitTiming | None = None
        self.events = events or EventFactory(source="homebed")
        self._tables = tables
        self._signal = signal
        self._correlation_id = correlation_id
        self._session: AsyncSession | None = None
        self._repos: dict[object, object] = {}
        self._committed = False
        self._pending_events = 0

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside `async with`")
        return self._session

    @property
    def tables(self) -> ChassisTables:
        return self._tables

    def repo(self, repository: Callable[[AsyncSession], RepoT]) -> RepoT:
        """The repository `repository(session)` bound to this transaction (one per kind)."""
        found = self._repos.get(repository)
        if found is None:
            found = self._repos[repository] = repository(self.session)
        return cast(RepoT, found)

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        self._repos = {}
        self._committed = False
        self._pending_events = 0
        self._forget_express()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session = self.session
        try:
            if not self._committed:
                await session.rollback()
        finally:
            await session.close()
            self._session = None
            self._repos = {}
            self._forget_express()

    async def commit(self) -> None:
        started = time.perf_counter()
        await self.session.commit()
        committed = time.perf_counter()
        committed_at = time.time()
        self._committed = True
        express, self._express_events = self._express_events, []
        if express and self._express is not None:
            await self._express.hand_off(express)
        if self._pending_events and self._signal is not None:
            self._signal.notify()
        self._pending_events = 0
        self._forget_express()
        self.last_commit = CommitTiming(
            commit_seconds=committed - started,
            handoff_seconds=time.perf_counter() - committed,
            committed_at=committed_at,
            express_events=len(express),
        )

    async def rollback(self) -> None:
        await self.session.rollback()
        self._pending_events = 0
        self._forget_express()

    def _forget_express(self) -> None:
        self._express_events = []
        self._express_keys = set()
        self._queued_keys = set()

    async def emit(
        self,
        *,
        topic: str,
        key: str,
        type_: str,
        subject: str,
        data: BaseModel | Mapping[str, Any],
        time: datetime | None = None,
        express: bool = False,
    ) -> Envelope:
        """Build an envelope from this service (source) and stage it like `publish`."""
        event = self.events.build(type_=type_, subject=subject, data=data, time=time)
        await self.publish(topic=topic, key=key, event=event, express=express)
        return event

    async def emit_many(self, events: Sequence[OutgoingEvent]) -> list[Envelope]:
        """`emit` for a set of events (a batch step's, one per entity), staged together: one
        executemany of the cached outbox INSERT instead of a statement per event. Never express
        (the relay sends them, in order per key, as it sends every event staged with `emit`)."""
        built = [
            (
                event.topic,
                event.key,
                self.events.build(
                    type_=event.type_, subject=event.subject, data=event.data, time=event.time
                ),
            )
            for event in events
        ]
        await self.publish_many(built)
        return [envelope for _, _, envelope in built]

    async def publish(
        self, *, topic: str, key: str, event: Envelope, express: bool = False
    ) -> None:
        """Stage an event in the outbox; it is sent only if this transaction commits.

        `express`: also hand it to the producer right after the commit, unless an earlier event
        of its key still waits in the outbox (order per key is kept).
        """
        row = self._outbox_row(topic, key, event)
        if await self._insert_outbox_row(row, topic, key, express=express):
            self._stage_express(row)
        else:
            self._pending_events += 1

    async def publish_many(
        self, events: Sequence[tuple[str, str, Envelope]], *, express: bool = False
    ) -> None:
        """Stage several `(topic, key, event)` like `publish`, with one outbox INSERT.

        `express`: the keys' earlier unsent events are read with one query for all of them (per
        key the rule of `publish`: an event overtakes none still waiting for the relay); a
        sweep of forty alarms costs two statements instead of forty.
        """
        if not events:
            return
        rows = [self._outbox_row(topic, key, event) for topic, key, event in events]
        fast = express and self._express is not None and self._express.usable
        if fast:
            await self._decide_express({(row["topic"], row["key"]) for row in rows})
        await self.session.execute(_outbox_inserts(self._tables.outbox)[0], rows)
        for row in rows:
            if fast and (row["topic"], row["key"]) in self._express_keys:
                self._stage_express(row)
            else:
                self._pending_events += 1

    async def _decide_express(self, keys: set[tuple[str, str]]) -> None:
        """Sort the keys not decided yet in this transaction into express and queued, from
        their earlier unsent events in the outbox (one query)."""
        assert self._express is not None
        fresh = keys - self._express_keys - self._queued_keys
        if not fresh:
            return
        listed = await self.session.execute(
            _unsent_of_keys(self._tables.outbox),
            {"topics": sorted({t for t, _ in fresh}), "keys": sorted({k for _, k in fresh})},
        )
        earlier: dict[tuple[str, str], list[str]] = {}
        for row in listed.all():
            earlier.setdefault((row.topic, row.key), []).append(row.event_id)
        for staged in fresh:
            if self._express.may_overtake(earlier.get(staged, ())):
                self._express_keys.add(staged)
            else:
                self._queued_keys.add(staged)
                OUTBOX_EXPRESS.labels(self.events.source, "queued").inc()

    def _outbox_row(self, topic: str, key: str, event: Envelope) -> dict[str, Any]:
        if event.correlation_id is None and self._correlation_id is not None:
            correlation = self._correlation_id()
            if correlation:
                event = event.model_copy(update={"correlation_id": correlation})
        return {
            "event_id": str(event.id),
            "topic": topic,
            "key": key,
            "event_type": event.type,
            "payload": encode_envelope(event),
            "headers": {"event_id": str(event.id), "event_type": event.type},
            "created_at": datetime.now(UTC),
            "attempts": 0,
        }

    def _stage_express(self, row: Mapping[str, Any]) -> None:
        self._express_events.append(
            StagedEvent(
                row["event_id"], row["topic"], row["key"], row["payload"], dict(row["headers"])
            )
        )

    async def _insert_outbox_row(
        self, row: dict[str, Any], topic: str, key: str, *, express: bool
    ) -> bool:
        """Insert the row; True when it goes express (sent right after the commit).

        Not when an earlier event of its key waits in the outbox (sent by the relay, in order),
        unless this process already handed that one to the same producer. The earlier events
        come back from the INSERT itself: no round trip of its own.
        """
        insert_row, insert_row_listing_earlier = _outbox_inserts(self._tables.outbox)
        staged = (topic, key)
        if not express or self._express is None or not self._express.usable:
            await self.session.execute(insert_row, row)
            return False
        if staged in self._queued_keys:
            await self.session.execute(insert_row, row)
            return False
        if staged in self._express_keys:
            await self.session.execute(insert_row, row)
            return True  # handed off in order right behind this transaction's earlier one
        listing = {
            **row,
            "earlier_topic": topic,
            "earlier_key": key,
            "earlier_than": row["event_id"],
        }
        listed = (await self.session.execute(insert_row_listing_earlier, listing)).scalar()
        if self._express.may_overtake(listed.split(",") if listed else ()):
            self._express_keys.add(staged)
            return True
        self._queued_keys.add(staged)
        OUTBOX_EXPRESS.labels(self.events.source, "queued").inc()
        return False


_OUTBOX_INSERTS: dict[Table, tuple[Insert, Insert]] = {}


def _outbox_inserts(outbox: Table) -> tuple[Insert, Insert]:
    """The outbox INSERT, plain and listing the earlier unsent events of the row's key; built
    once per table (a statement built per call costs about as much again as running it)."""
    found = _OUTBOX_INSERTS.get(outbox)
    if found is None:
        # the key by value, not correlated to the row being inserted: a correlated subquery in
        # RETURNING is rendered as a join with the whole table (and SQLite sees the new row)
        earlier = outbox.alias("earlier")
        waiting = (
            select(func.aggregate_strings(earlier.c.event_id, ","))
            .where(
                earlier.c.sent_at.is_(None),
                earlier.c.topic == bindparam("earlier_topic"),
                earlier.c.key == bindparam("earlier_key"),
                earlier.c.event_id != bindparam("earlier_than"),
            )
            .scalar_subquery()
        )
        found = _OUTBOX_INSERTS[outbox] = (insert(outbox), insert(outbox).returning(waiting))
    return found


_UNSENT_OF_KEYS: dict[Table, Select[Any]] = {}


def _unsent_of_keys(outbox: Table) -> Select[Any]:
    """The unsent events of some topics' keys (`publish_many`), built once per table."""
    found = _UNSENT_OF_KEYS.get(outbox)
    if found is None:
        built: Select[Any] = select(outbox.c.topic, outbox.c.key, outbox.c.event_id).where(
            outbox.c.sent_at.is_(None),
            outbox.c.topic.in_(bindparam("topics", expanding=True)),
            outbox.c.key.in_(bindparam("keys", expanding=True)),
        )
        found = _UNSENT_OF_KEYS[outbox] = built
    return found


def encode_envelope(event: Envelope) -> bytes:
    return orjson.dumps(event.model_dump(mode="json"))


def decode_envelope(raw: bytes) -> Envelope:
    return Envelope.model_validate(orjson.loads(raw))


UnitOfWorkFactory = Callable[[], UnitOfWork]
