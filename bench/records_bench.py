"""Monthly service-minimums evaluation (001 §四(三)3) for a month of beds on PostgreSQL.

Loads 100,000 beds and 3,000,000 visits (one on-site visit a bed a day, a nurse weekly) into
bench-local tables, then times, in the same run:
- the floor: a plain SQL GROUP BY (bed, Shanghai day) over the month's visits, fetched;
- the evaluation: the same rollup query, then `evaluate_rollups` for every bed (the pure rule,
  judging daily visits, pro-rated hours and fixed 14-day medic periods).
Last line: `minimums_beds_per_s=<n> visits=<n> sql_floor_s=<n> ratio=<r>`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import date, timedelta

import asyncpg

from service_records.domain.minimums import (
    BedFacts,
    DayRollup,
    MinimumsProfile,
    evaluate_rollups,
    evaluation_window,
)

YEAR, MONTH = 2022, 6
FIRST_ESTABLISHED = date(2022, 1, 1)

SCHEMA = """
DROP TABLE IF EXISTS bench_rec_visits; DROP TABLE IF EXISTS bench_rec_beds;
CREATE UNLOGGED TABLE bench_rec_beds (bed_id int PRIMARY KEY, established_on date NOT NULL);
CREATE UNLOGGED TABLE bench_rec_visits (
  bed_id int NOT NULL, start_at timestamptz NOT NULL, end_at timestamptz NOT NULL,
  role smallint NOT NULL, mode smallint NOT NULL, verified boolean NOT NULL,
  caregiver_present boolean);
"""
# role: 0 caregiver, 1 nurse, 2 doctor; mode: 0 on_site, 1 video, 2 phone
LOAD_BEDS = """
INSERT INTO bench_rec_beds
SELECT b, DATE '2022-01-01' + (b % 28) FROM generate_series(1, $1) b
"""
LOAD_VISITS = """
INSERT INTO bench_rec_visits
SELECT b, s, s + make_interval(secs => 3500 + (b * 31 + d * 17) % 400),
       CASE WHEN (b + d) % 7 = 0 THEN 1 ELSE 0 END, 0, (b * 13 + d) % 97 <> 0, true
FROM generate_series($1::int, $2::int) b, generate_series(0, $3::int - 1) d,
     LATERAL (SELECT TIMESTAMPTZ '2022-06-01 09:00+08' + make_interval(days => d)
                     + make_interval(secs => (b * 7 + d * 13) % 3600) AS s) t
"""
ROLLUPS = """
SELECT bed_id, (start_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
       sum(extract(epoch FROM end_at - start_at)::bigint) AS seconds, count(*) AS visits,
       count(*) FILTER (WHERE role IN (1, 2)) AS medic,
       count(*) FILTER (WHERE caregiver_present = false) AS absent
FROM bench_rec_visits
WHERE verified AND mode = 0 AND start_at >= $1 AND start_at < $2
GROUP BY 1, 2 ORDER BY 1, 2
"""


def progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


async def load(conn: asyncpg.Connection, beds: int, days: int) -> int:
    await conn.execute(SCHEMA)
    await conn.execute(LOAD_BEDS, beds)
    step = 10_000
    for first in range(1, beds + 1, step):
        await conn.execute(LOAD_VISITS, first, min(beds, first + step - 1), days)
        progress(f"loaded visits of {min(beds, first + step - 1)}/{beds} beds")
    await conn.execute("ANALYZE bench_rec_visits; ANALYZE bench_rec_beds")
    return int(await conn.fetchval("SELECT count(*) FROM bench_rec_visits"))


def bounds() -> tuple[object, object]:
    from datetime import datetime

    from chassis.clock import SHANGHAI

    window_start = date(YEAR, MONTH, 1) - timedelta(days=13)
    lo = datetime(window_start.year, window_start.month, window_start.day, tzinfo=SHANGHAI)
    hi = datetime(YEAR, MONTH + 1, 1, tzinfo=SHANGHAI)
    return lo, hi


async def floor(conn: asyncpg.Connection) -> float:
    started = time.perf_counter()
    rows = await conn.fetch(ROLLUPS, *bounds())
    elapsed = time.perf_counter() - started
    progress(f"floor: {len(rows)} (bed, day) rows in {elapsed:.2f} s")
    return elapsed


async def evaluate(conn: asyncpg.Connection) -> tuple[float, int, int]:
    profile = MinimumsProfile()
    started = time.perf_counter()
    established = {
        r["bed_id"]: r["established_on"]
        for r in await conn.fetch("SELECT bed_id, established_on FROM bench_rec_beds")
    }
    rows = await conn.fetch(ROLLUPS, *bounds())
    compliant = evaluated = 0
    current: int | None = None
    days: list[DayRollup] = []

    def judge(bed_id: int, days: list[DayRollup]) -> bool:
        bed = BedFacts(established_on=established[bed_id])
        start, end = evaluation_window(YEAR, MONTH, bed, profile)
        result = evaluate_rollups(
            profile,
            caregiver_present_required=True,
            year=YEAR,
            month=MONTH,
            bed=bed,
            days=[d for d in days if start <= d.day <= end],
        )
        return result.compliant

    for bed_id, day, seconds, visits, medic, absent in rows:
        if bed_id != current:
            if current is not None:
                compliant += judge(current, days)
                evaluated += 1
                if evaluated % 20_000 == 0:
                    progress(f"evaluated {evaluated} beds")
            current, days = bed_id, []
        days.append(DayRollup(day, int(seconds), visits, medic, absent))
    if current is not None:
        compliant += judge(current, days)
        evaluated += 1
    elapsed = time.perf_counter() - started
    progress(f"evaluated {evaluated} beds in {elapsed:.2f} s, {compliant} compliant")
    return elapsed, evaluated, compliant


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:56132/postgres")
    parser.add_argument("--beds", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the bench tables")
    args = parser.parse_args()
    conn = await asyncpg.connect(args.dsn)
    try:
        visits = await load(conn, args.beds, args.days)
        await floor(conn)  # warm the cache once; the timed runs follow
        sql_floor = await floor(conn)
        elapsed, beds, _ = await evaluate(conn)
        if not args.keep:
            await conn.execute("DROP TABLE bench_rec_visits; DROP TABLE bench_rec_beds")
    finally:
        await conn.close()
    print(
        f"minimums_beds_per_s={beds / elapsed:.0f} visits={visits} "
        f"sql_floor_s={sql_floor:.2f} ratio={elapsed / sql_floor:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
