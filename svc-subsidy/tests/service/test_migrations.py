"""The Alembic migrations build exactly the tables the code maps, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from chassis.db import create_engine
from chassis.migrations import alembic_config, upgrade_to_head
from subsidy.bootstrap import MIGRATIONS
from subsidy.domain.periods import Period
from subsidy.repositories.marks import MarksRepository
from subsidy.tables import Base


async def test_upgrade_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)

        def diff(connection: Any) -> list[Any]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as connection:
            assert await connection.run_sync(diff) == []
    finally:
        await engine.dispose()


async def test_0009_claims_the_open_adjustments_already_stored(database_url: str) -> None:
    """Migration 0009's backfill: each per-bed adjustment carried by an open settlement is
    claimed once (a submitted one before a draft), approved ones and provider-level lines need
    no claim."""
    engine = create_engine(database_url)
    config = alembic_config(MIGRATIONS)
    try:

        def to(revision: str) -> Callable[[Any], None]:
            def _upgrade(connection: Any) -> None:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)

            return _upgrade

        async with engine.begin() as connection:
            await connection.run_sync(to("0008"))
        settlements = [
            ("stl-07", "2022-07", "approved"),
            ("stl-08", "2022-08", "submitted"),
            ("stl-09", "2022-09", "draft"),
            ("stl-10", "2022-10", "approved"),
        ]
        lines = [  # settlement, bed, elder, for_period, kind
            ("stl-07", "bed-1", "elder-1", "2022-07", "low_income_service"),
            ("stl-09", "bed-1", "elder-1", "2022-07", "low_income_service"),
            ("stl-08", "bed-1", "elder-1", "2022-07", "low_income_service"),
            ("stl-09", "bed-2", "elder-2", "2022-07", "low_income_service"),
            ("stl-10", "bed-3", "elder-3", "2022-07", "low_income_service"),
            ("stl-09", "", "", "2022-06", "platform"),
        ]
        moment = datetime(2022, 10, 1, 4, tzinfo=UTC)
        async with engine.begin() as connection:
            for stl, period, status in settlements:
                await connection.execute(
                    text(
                        "INSERT INTO settlements (id, provider_id, jurisdiction, period, status, "
                        "policy_version, run_no, submission_no, lines_digest, line_count, "
                        "total_fen, ran_at, ran_by) VALUES (:id, 'prov-a', '341800', :p, :s, "
                        "'v', 1, 0, 'd', 0, 0, :t, 'admin-a')"
                    ),
                    {"id": stl, "p": period, "s": status, "t": moment},
                )
            for n, (stl, bed, elder, month, kind) in enumerate(lines):
                await connection.execute(
                    text(
                        "INSERT INTO settlement_lines (id, settlement_id, position, bed_id, "
                        "elder_id, for_period, kind, rule, seed, payee, amount_fen, funding, "
                        "explanation) VALUES (:id, :s, :n, :b, :e, :f, :k, 'r', 's', "
                        "'provider', -100, 'city=-100', 'x')"
                    ),
                    {
                        "id": f"ln-{n}",
                        "s": stl,
                        "n": n,
                        "b": bed,
                        "e": elder,
                        "f": month,
                        "k": kind,
                    },
                )
        await upgrade_to_head(engine, MIGRATIONS)
        async with engine.connect() as connection:
            claims = (
                await connection.execute(
                    text(
                        "SELECT bed_id, for_period, kind, settlement_id "
                        "FROM bed_adjustment_claims ORDER BY bed_id"
                    )
                )
            ).all()
        assert [tuple(row) for row in claims] == [
            ("bed-1", "2022-07", "low_income_service", "stl-08"),
            ("bed-2", "2022-07", "low_income_service", "stl-09"),
        ]
    finally:
        await engine.dispose()


async def test_0010_gives_the_marks_a_revision_and_closes_none_on_guesswork(
    database_url: str,
) -> None:
    """Migration 0010's backfill: existing marks at revision 1, no run marks recorded for the
    settlements already run (what they read is unknown), so their approval closes nothing and
    the next run accounts for the marks."""
    engine = create_engine(database_url)
    config = alembic_config(MIGRATIONS)
    try:

        def to_0009(connection: Any) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, "0009")

        async with engine.begin() as connection:
            await connection.run_sync(to_0009)
        moment = datetime(2022, 10, 1, 4, tzinfo=UTC)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO settlements (id, provider_id, jurisdiction, period, status, "
                    "policy_version, run_no, submission_no, lines_digest, line_count, "
                    "total_fen, ran_at, ran_by) VALUES ('stl-07', 'prov-a', '341800', "
                    "'2022-07', 'submitted', 'v', 1, 1, 'd', 0, 0, :t, 'admin-a')"
                ),
                {"t": moment},
            )
            for bed in ("bed-1", "bed-2"):
                await connection.execute(
                    text(
                        "INSERT INTO reopened_periods (bed_id, provider_id, jurisdiction, "
                        "period, reason, recorded_at, consumed_by) VALUES (:b, 'prov-a', "
                        "'341800', '2022-07', 'bed.suspended', :t, NULL)"
                    ),
                    {"b": bed, "t": moment - timedelta(hours=1)},
                )
        await upgrade_to_head(engine, MIGRATIONS)
        async with engine.connect() as connection:
            revisions = (
                await connection.execute(
                    text("SELECT bed_id, revision FROM reopened_periods ORDER BY bed_id")
                )
            ).all()
            read = (await connection.execute(text("SELECT * FROM settlement_run_marks"))).all()
        assert [tuple(row) for row in revisions] == [("bed-1", 1), ("bed-2", 1)]
        assert read == []
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as session, session.begin():
            marks = MarksRepository(session)
            assert await marks.close_read_by(["stl-07"]) == 0  # the old rule would close both
            still_open = await marks.open_marks("341800", ["prov-a"], Period(2022, 8), lock=True)
        assert [(m.bed_id, m.revision) for m in still_open] == [("bed-1", 1), ("bed-2", 1)]
    finally:
        await engine.dispose()
