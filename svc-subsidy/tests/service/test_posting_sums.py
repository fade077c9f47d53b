"""A submission's pending transfer from its lines' sums: on PostgreSQL the database sums the
funding legs per level (splitting the funding texts), the vouchers per elder and the total; the
same sums and the same entries as the lines read back and summed in Python."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.db import create_engine
from chassis.migrations import upgrade_to_head
from subsidy.bootstrap import MIGRATIONS
from subsidy.domain.lines import FundingLeg, Line
from subsidy.domain.settlement import SettledLine, entries_of, posting_entries, posting_sums
from subsidy.repositories.settlements import SettlementRepository


def _line(kind: str, legs: tuple[tuple[str, int], ...]) -> Line:
    return Line(
        kind=kind,  # type: ignore[arg-type]
        amount_fen=sum(fen for _, fen in legs),
        payee="provider",
        rule="r",
        seed="s",
        explanation="x",
        funding=tuple(FundingLeg(level, fen) for level, fen in legs),  # type: ignore[arg-type]
    )


LINES = {
    "stl-a": [
        SettledLine(
            "bed-1", "elder-1", "2022-07", _line("voucher_settlement", (("district", 29010),))
        ),
        SettledLine(
            "bed-1", "elder-1", "2022-06", _line("voucher_settlement", (("district", -510),))
        ),
        SettledLine(
            "bed-2", "elder-2", "2022-07", _line("voucher_settlement", (("district", 30000),))
        ),
        SettledLine("bed-2", "elder-2", "2022-07", _line("modification", (("district", 150000),))),
        SettledLine("bed-3", "elder-3", "2022-07", _line("voucher_settlement", (("district", 0),))),
        SettledLine(
            "bed-3",
            "elder-3",
            "2022-07",
            _line("modification", (("city", 150000), ("district", 150000))),
        ),
        SettledLine("", "", "2022-07", _line("platform", (("district", 20000000),))),
    ],
    "stl-b": [
        SettledLine("bed-9", "elder-9", "2022-07", _line("low_income_service", (("city", -8387),))),
    ],
    "stl-empty": [],
}


async def test_the_database_sums_as_python_does(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)
        async with engine.connect() as connection:
            for stl in LINES:
                await connection.execute(
                    text(
                        "INSERT INTO settlements (id, provider_id, jurisdiction, period, status, "
                        "policy_version, run_no, submission_no, lines_digest, line_count, "
                        "total_fen, ran_at, ran_by) VALUES (:id, :id, '330326', "
                        "'2022-07', 'draft', 'v', 1, 0, 'd', 0, 0, :t, 'admin-a')"
                    ),
                    {"id": stl, "t": datetime(2022, 8, 1, tzinfo=UTC)},
                )
            await connection.commit()
        async with AsyncSession(engine) as session, session.begin():
            repository = SettlementRepository(session)
            await repository.replace_lines_of(sorted(LINES), LINES.items())
            sums = await repository.posting_sums_of(sorted(LINES))
            amounts = await repository.line_amounts_of(sorted(LINES))
        assert set(sums) == {"stl-a", "stl-b"}
        for stl, lines in amounts.items():
            assert sums[stl] == posting_sums(lines)
            assert entries_of("prov-a", "330326", sums[stl]) == posting_entries(
                "prov-a", "330326", lines
            )
        district = 20000000 + 29010 - 510 + 30000 + 150000 + 150000
        assert sums["stl-a"].levels == {"district": district, "city": 150000}
        assert sums["stl-a"].vouchers == {"elder-1": 28500, "elder-2": 30000, "elder-3": 0}
    finally:
        await engine.dispose()
