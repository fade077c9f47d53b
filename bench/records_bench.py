"""Monthly service-minimums evaluation (001 §四(三)3) of a whole city on PostgreSQL.

Builds the service's own schema (its Alembic migrations) in a throwaway database, loads 100,000
beds into `roster_beds`, 3,000,000 visits (one on-site visit a bed a day, a nurse weekly, about
1 % unverified) into a raw visits table, and the service's `daily_rollups` from them (what the
service keeps up to date, O(1) per verified visit). Then times, in the same run and session
(`work_mem` raised from the default 4 MB for both, so neither spills to disk):
- the floor: a plain SQL `GROUP BY (bed, Shanghai day)` over the month's visits, fetched;
- the evaluation: every bed's month judged from the rollups (never the visits): the database
  reduces each bed's rollups of the evaluation window to day bitsets (O(beds × days)), streamed
  through a server-side cursor in batches; each bed is judged by `domain.month_masks` (integer
  operations against its cached calendar), which equals `evaluate_rollups`; a sample of beds is
  cross-checked against `evaluate_rollups` itself after the timing.
Progress goes to stderr; the last line is
`minimums_beds_per_s=<n> visits=<n> sql_floor_s=<n> ratio=<r>` (ratio = evaluation / floor).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from chassis.clock import SHANGHAI
from chassis.db import create_engine
from chassis.migrations import upgrade_to_head
from service_records.bootstrap import MIGRATIONS
from service_records.domain.minimums import (
    BedFacts,
    DayRollup,
    MinimumsProfile,
    Suspension,
    evaluate_rollups,
    evaluation_window,
    month_bounds,
)
from service_records.domain.month_masks import bed_calendar, mask_verdict, month_window_start
from service_records.policies.loader import load_profile

YEAR, MONTH = 2022, 6
DATABASE = "records_bench"
WORK_MEM = "256MB"
BATCH = 10_000
CHECK_EVERY = 997  # cross-check one bed in this many against evaluate_rollups

# The raw visits (role: 0 caregiver, 1 nurse, 2 doctor; mode: 0 on_site, 1 video, 2 phone).
SCHEMA = """
DROP TABLE IF EXISTS bench_rec_visits;
CREATE UNLOGGED TABLE bench_rec_visits (
  bed_id int NOT NULL, start_at timestamptz NOT NULL, end_at timestamptz NOT NULL,
  role smallint NOT NULL, mode smallint NOT NULL, verified boolean NOT NULL,
  caregiver_present boolean);
"""
LOAD_BEDS = """
INSERT INTO roster_beds (bed_id, provider_id, elder_id, region_code, jurisdiction, status,
                         contract_start, contract_end, established_on, last_event_at)
SELECT 'bed-' || b, 'prov-' || (b % 200), 'elder-' || b, '341802', '341800', 'established',
       DATE '2021-12-20', DATE '2022-12-31', DATE '2022-01-01' + (b % 28), now()
FROM generate_series(1, $1) b
"""
LOAD_VISITS = """
INSERT INTO bench_rec_visits
SELECT b, s, s + make_interval(secs => 3500 + (b * 31 + d * 17) % 400),
       CASE WHEN (b + d) % 7 = 0 THEN 1 ELSE 0 END, 0, (b * 13 + d) % 97 <> 0, true
FROM generate_series($1::int, $2::int) b, generate_series(0, $3::int - 1) d,
     LATERAL (SELECT TIMESTAMPTZ '2022-06-01 09:00+08' + make_interval(days => d)
                     + make_interval(secs => (b * 7 + d * 13) % 3600) AS s) t
"""
# What the service's rollups hold after these visits (service/rollups.py, one row a bed and day).
LOAD_ROLLUPS = """
INSERT INTO daily_rollups (bed_id, day, provider_id, on_site_visits, service_seconds,
                           medic_visits, caregiver_absent_visits)
SELECT 'bed-' || bed_id, (start_at AT TIME ZONE 'Asia/Shanghai')::date, 'prov-' || (bed_id % 200),
       count(*), sum(extract(epoch FROM end_at - start_at)::bigint),
       count(*) FILTER (WHERE role IN (1, 2)), count(*) FILTER (WHERE caregiver_present = false)
FROM bench_rec_visits WHERE verified AND mode = 0 AND bed_id BETWEEN $1 AND $2
GROUP BY bed_id, 2
"""
FLOOR = """
SELECT bed_id, (start_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
       sum(extract(epoch FROM end_at - start_at)::bigint) AS seconds, count(*) AS visits,
       count(*) FILTER (WHERE role IN (1, 2)) AS medic,
       count(*) FILTER (WHERE caregiver_present = false) AS absent
FROM bench_rec_visits
WHERE verified AND mode = 0 AND start_at >= $1 AND start_at < $2
GROUP BY 1, 2
"""
BEDS = """
SELECT bed_id, jurisdiction, established_on, ended_on FROM roster_beds
WHERE established_on IS NOT NULL AND established_on <= $2 AND (ended_on IS NULL OR ended_on >= $1)
"""
SUSPENSIONS = """
SELECT bed_id, start, "end" FROM roster_suspensions WHERE start <= $2 AND ("end" IS NULL OR "end" >= $1)
"""
# Each bed's rollups of the window reduced to: days with enough visits, days with a medic (bit i
# = window start + i), the month's seconds and caregiver absences.
MASKS = """
SELECT bed_id,
       coalesce(bit_or(1::bigint << (day - $1)) FILTER (WHERE on_site_visits >= $3), 0),
       coalesce(bit_or(1::bigint << (day - $1)) FILTER (WHERE medic_visits > 0), 0),
       coalesce(sum(service_seconds) FILTER (WHERE day >= $4), 0),
       coalesce(sum(greatest(caregiver_absent_visits, 0)) FILTER (WHERE day >= $4), 0)
FROM daily_rollups WHERE day >= $1 AND day <= $2
GROUP BY bed_id
"""


def progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def with_database(dsn: str, name: str) -> str:
    return dsn.rsplit("/", 1)[0] + "/" + name


async def create_schema(dsn: str) -> None:
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()
    url = with_database(dsn, DATABASE).replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS)
    finally:
        await engine.dispose()
    progress("service schema migrated (roster_beds, daily_rollups, …)")


async def load(conn: asyncpg.Connection, beds: int, days: int) -> int:
    await conn.execute(SCHEMA)
    await conn.execute(LOAD_BEDS, beds)
    step = 10_000
    for first in range(1, beds + 1, step):
        last = min(beds, first + step - 1)
        await conn.execute(LOAD_VISITS, first, last, days)
        await conn.execute(LOAD_ROLLUPS, first, last)
        progress(f"loaded visits and rollups of {last}/{beds} beds")
    await conn.execute("ANALYZE bench_rec_visits; ANALYZE roster_beds; ANALYZE daily_rollups")
    return int(await conn.fetchval("SELECT count(*) FROM bench_rec_visits"))


def bounds() -> tuple[datetime, datetime]:
    first, last = month_bounds(YEAR, MONTH)
    window_start = first - timedelta(days=13)
    lo = datetime(window_start.year, window_start.month, window_start.day, tzinfo=SHANGHAI)
    end = last + timedelta(days=1)
    return lo, datetime(end.year, end.month, end.day, tzinfo=SHANGHAI)


async def floor(conn: asyncpg.Connection) -> float:
    started = time.perf_counter()
    rows = await conn.fetch(FLOOR, *bounds())
    elapsed = time.perf_counter() - started
    progress(f"floor: {len(rows)} (bed, day) rows in {elapsed:.2f} s")
    return elapsed


@dataclass
class Tally:
    beds: int = 0
    compliant: int = 0


async def bed_facts(conn: asyncpg.Connection) -> dict[str, tuple[str, BedFacts]]:
    first, last = month_bounds(YEAR, MONTH)
    suspended: dict[str, list[Suspension]] = {}
    for bed_id, start, end in await conn.fetch(SUSPENSIONS, first, last):
        suspended.setdefault(bed_id, []).append(Suspension(start, end or date.max))
    return {
        bed_id: (
            jurisdiction,
            BedFacts(established, tuple(suspended.get(bed_id, ())), ended),
        )
        for bed_id, jurisdiction, established, ended in await conn.fetch(BEDS, first, last)
    }


async def evaluate(conn: asyncpg.Connection) -> tuple[float, Tally]:
    """Every bed's month from the rollups: bitsets from the database, verdicts here."""
    started = time.perf_counter()
    first, last = month_bounds(YEAR, MONTH)
    facts = await bed_facts(conn)
    profiles = {j: load_profile(j) for j, _ in set((j, 0) for j, _ in facts.values())}
    default = MinimumsProfile()
    window_start = month_window_start(YEAR, MONTH, default)
    tally = Tally()
    seen: set[str] = set()

    def judge(bed_id: str, visited: int, medic: int, seconds: int, absent: int) -> None:
        entry = facts.get(bed_id)
        if entry is None:
            return
        profile = profiles[entry[0]]
        minimums = profile.minimums
        calendar = bed_calendar(minimums, YEAR, MONTH, entry[1], window_start) if minimums else None
        verdict = mask_verdict(
            minimums,
            calendar,
            caregiver_present_required=profile.caregiver_present_required,
            visited_mask=visited,
            medic_mask=medic,
            month_seconds=seconds,
            caregiver_absences=absent,
        )
        tally.beds += 1
        tally.compliant += verdict.compliant

    async with conn.transaction():
        cursor = await conn.cursor(MASKS, window_start, last, default.daily_onsite_visits, first)
        batch = await cursor.fetch(BATCH)
        while batch:
            for bed_id, visited, medic, seconds, absent in batch:
                seen.add(bed_id)
                judge(bed_id, visited, medic, int(seconds), int(absent))
            progress(f"evaluated {tally.beds} beds")
            batch = await cursor.fetch(BATCH)
    for bed_id in facts.keys() - seen:  # beds without any rollup in the window
        judge(bed_id, 0, 0, 0, 0)
    elapsed = time.perf_counter() - started
    progress(f"evaluated {tally.beds} beds in {elapsed:.2f} s, {tally.compliant} compliant")
    return elapsed, tally


async def cross_check(conn: asyncpg.Connection, beds: int) -> int:
    """Judge a sample of beds with `evaluate_rollups` (the reference) and compare."""
    facts = await bed_facts(conn)
    checked = 0
    for n in range(1, beds + 1, CHECK_EVERY):
        bed_id = f"bed-{n}"
        jurisdiction, bed = facts[bed_id]
        profile = load_profile(jurisdiction)
        start, end = evaluation_window(YEAR, MONTH, bed, profile.minimums)
        rows = await conn.fetch(
            "SELECT day, service_seconds, on_site_visits, medic_visits, caregiver_absent_visits "
            "FROM daily_rollups WHERE bed_id = $1 AND day BETWEEN $2 AND $3",
            bed_id,
            start,
            end,
        )
        reference = evaluate_rollups(
            profile.minimums,
            caregiver_present_required=profile.caregiver_present_required,
            year=YEAR,
            month=MONTH,
            bed=bed,
            days=[DayRollup(*row) for row in rows],
        )
        window_start = month_window_start(YEAR, MONTH, profile.minimums or MinimumsProfile())
        masks = await conn.fetchrow(
            MASKS.replace("GROUP BY bed_id", "AND bed_id = $5 GROUP BY bed_id"),
            window_start,
            month_bounds(YEAR, MONTH)[1],
            1,
            month_bounds(YEAR, MONTH)[0],
            bed_id,
        )
        _, visited, medic, seconds, absent = masks or (bed_id, 0, 0, 0, 0)
        verdict = mask_verdict(
            profile.minimums,
            bed_calendar(profile.minimums, YEAR, MONTH, bed, window_start)
            if profile.minimums
            else None,
            caregiver_present_required=profile.caregiver_present_required,
            visited_mask=visited,
            medic_mask=medic,
            month_seconds=int(seconds),
            caregiver_absences=int(absent),
        )
        if verdict.compliant != reference.compliant:
            raise SystemExit(f"{bed_id}: bitsets say {verdict}, evaluate_rollups {reference}")
        checked += 1
    progress(f"cross-checked {checked} beds against evaluate_rollups: identical verdicts")
    return checked


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:56132/postgres")
    parser.add_argument("--beds", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    await create_schema(args.dsn)
    conn = await asyncpg.connect(with_database(args.dsn, DATABASE))
    try:
        await conn.execute(f"SET work_mem = '{WORK_MEM}'")
        visits = await load(conn, args.beds, args.days)
        await floor(conn)  # warm the cache once; the timed runs follow
        sql_floor = await floor(conn)
        await evaluate(conn)  # warm the rollups' pages too
        elapsed, tally = await evaluate(conn)
        await cross_check(conn, args.beds)
    finally:
        await conn.close()
    if not args.keep:
        admin = await asyncpg.connect(args.dsn)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        finally:
            await admin.close()
    print(
        f"minimums_beds_per_s={tally.beds / elapsed:.0f} visits={visits} "
        f"sql_floor_s={sql_floor:.2f} ratio={elapsed / sql_floor:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
