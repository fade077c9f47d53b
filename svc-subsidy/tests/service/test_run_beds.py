"""The beds a month's run reads (`FactsRepository.beds_in`): asyncpg's own rows on PostgreSQL,
SQLAlchemy's on SQLite, the same `RunBed`s — placeholders left out, (provider, bed) order — and
the `BedFacts` they give are those built field by field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chassis.db import create_engine
from chassis.migrations import upgrade_to_head
from subsidy.bootstrap import MIGRATIONS
from subsidy.domain.facts import BED_FACT_FIELDS, BedFacts, Suspension
from subsidy.repositories.facts import RUN_BEDS, FactsRepository, RunBed
from subsidy.service.facts import NOT_YET
from subsidy.tables import BedFactRow

SEEN = datetime(2022, 7, 3, 4, 5, tzinfo=UTC)


def test_a_run_bed_lays_its_facts_out_in_bed_facts_order() -> None:
    fields = RunBed._fields
    assert (
        *fields[4:14],
        "construction_paid_fen",
        *fields[14:17],
        "services_delivered_fen",
        "suspensions",
    ) == BED_FACT_FIELDS
    selected = re.match(r"SELECT (.*) FROM bed_facts", RUN_BEDS)
    assert selected is not None
    assert tuple(selected.group(1).split(", ")) == fields


def _bed(bed_id: str, provider_id: str, **changes: object) -> BedFactRow:
    values: dict[str, object] = {
        "bed_id": bed_id,
        "elder_id": f"elder-{bed_id}",
        "provider_id": provider_id,
        "jurisdiction": "330326",
        "region_code": "330326",
        "status": "accepted",
        "birth_date": date(1941, 2, 3),
        "ability_level": "severe",
        "economic_status": "dibao",
        "package_fee_fen": 80000,
        "contract_start": date(2022, 1, 5),
        "contract_end": date(2023, 1, 4),
        "established_on": date(2022, 1, 5),
        "accepted_on": date(2022, 2, 15),
        "terminated_on": None,
        "construction_investment_fen": 360000,
        "modification_cost_fen": 150000,
        "modification_consent": True,
        "voucher_fen": 30000,
        "payments_suspended": False,
        "last_event_at": SEEN,
    }
    values.update(changes)
    return BedFactRow(**values)


async def test_the_run_reads_the_beds_with_their_facts(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        async with AsyncSession(engine) as session, session.begin():
            session.add_all(
                [
                    _bed("b-2", "p-1", modification_consent=None, payments_suspended=True),
                    _bed("b-1", "p-1", terminated_on=date(2022, 7, 20)),
                    _bed("b-0", "p-2", ability_level=None, voucher_fen=None),
                    _bed("b-9", "p-1", last_event_at=NOT_YET),  # a visit came first
                    _bed("b-8", "p-3"),  # another provider
                    _bed("b-7", "p-1", jurisdiction="341800"),
                ]
            )
        async with AsyncSession(engine) as session, session.begin():
            beds = await FactsRepository(session).beds_in("330326", ["p-2", "p-1"])
        assert [(b.provider_id, b.bed_id) for b in beds] == [
            ("p-1", "b-1"),
            ("p-1", "b-2"),
            ("p-2", "b-0"),
        ]
        first, second, third = beds
        assert second.payments_suspended
        assert not first.payments_suspended
        suspended = (Suspension(date(2022, 7, 2), date(2022, 7, 9)),)
        assert first.facts(suspended, 150000, 29010) == BedFacts(
            birth_date=date(1941, 2, 3),
            ability_level="severe",
            economic_status="dibao",
            package_fee_fen=80000,
            contract_start=date(2022, 1, 5),
            contract_end=date(2023, 1, 4),
            established_on=date(2022, 1, 5),
            accepted_on=date(2022, 2, 15),
            terminated_on=date(2022, 7, 20),
            construction_investment_fen=360000,
            construction_paid_fen=150000,
            modification_cost_fen=150000,
            modification_consent=True,
            voucher_fen=30000,
            services_delivered_fen=29010,
            suspensions=suspended,
        )
        assert second.facts((), 0, None).modification_consent is None
        assert (third.facts((), 0, 0).ability_level, third.facts((), 0, 0).voucher_fen) == (
            None,
            None,
        )
        async with AsyncSession(engine) as session:
            stored = await session.get(BedFactRow, "b-1")
            assert stored is not None
            assert RunBed.of(stored) == first
    finally:
        await engine.dispose()
