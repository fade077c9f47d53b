"""One month's subsidy settlement of a whole county on PostgreSQL (issue 14, make bench-settlement).

Builds svc-subsidy's own schema (its Alembic migrations, with the ledger's triggers) in a
throwaway database and loads, with plain SQL, 100,000 Pingyang beds (004: e-vouchers settled
after service, modification subsidy on acceptance) of 200 providers and 3,000,000 verified
on-site visits of July 2022 with their value. Then times, in the same run:
- the settlement: the county's month through the service's batch use cases, one transaction
  per step — run every provider's month (facts, visit month totals, calculators, lines
  written), submit them all (one pending ledger transfer per settlement with its entries,
  accounts created), approve them all by another officer (maker-checker per settlement, each
  posted), confirm every payment (a payment transfer each) — through the unit of work, with
  one outbox event per settlement and step staged;
- the floor: `INSERT … SELECT` of the same number of rows into copies of the settlement-line and
  ledger-entry tables (what writing the result costs with no logic at all): temporary, so
  unlogged, with no index. Beside it, for the reader, the same rows into logged copies with the
  tables' own indexes and constraints (the durable, findable write any implementation pays;
  no triggers): `floor_indexed_s`, on the line before the last.
Progress goes to stderr; the last line is
`settlement_s=<n> beds=<n> floor_s=<n> ratio=<r>` (ratio = settlement / floor).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import time
from datetime import UTC, datetime

import asyncpg
from asgi_lifespan import LifespanManager

from chassis.clock import ManualClock
from chassis.context import RequestContext
from chassis.principal import Principal, Role
from subsidy.bootstrap import create_app
from subsidy.policies.loader import configured_profile
from subsidy.schemas.batches import BatchPayment, CountyRun, PaymentBatch
from subsidy.service import settlement_batch
from subsidy.testing import subsidy_settings

DATABASE = "subsidy_bench"
PINGYANG = "330326"
PERIOD = "2022-07"
PROVIDERS = int(__import__("os").environ.get("BENCH_PROVIDERS", "200"))
STEPS = [0.0, 0.0, 0.0, 0.0]  # run, submit, approve, pay: where the time goes
# CPU seconds per step (the figure a loaded box does not distort the way wall time is): this
# process (time.process_time) and the PostgreSQL backends of the bench database (/proc utime +
# stime of each backend; the server runs on this machine)
CPU_PYTHON = [0.0, 0.0, 0.0, 0.0]
CPU_POSTGRES = [0.0, 0.0, 0.0, 0.0]
TICKS = os.sysconf("SC_CLK_TCK")
FLOOR_CPU = [0.0]
CONFIGURATION = {PINGYANG: {"voucher_settlement": {"monthly_voucher_fen": 30000}}}

# Beds established 2022-01-xx; one in twelve accepted in July (its modification is due then);
# home-modification consent in force for all but one in fifty.
LOAD_BEDS = """
INSERT INTO bed_facts (bed_id, elder_id, provider_id, jurisdiction, region_code, status,
  birth_date, ability_level, economic_status, package_fee_fen, contract_start, contract_end,
  established_on, accepted_on, terminated_on, construction_investment_fen, modification_cost_fen,
  modification_consent, voucher_fen, payments_suspended, last_event_at)
SELECT 'bed-' || b, 'elder-' || b, 'prov-' || (b % $2), '330326', '330326', 'accepted',
       DATE '1940-01-01' + (b % 5000), 'moderate', 'other', 80000,
       DATE '2022-01-01' + (b % 28), DATE '2023-01-01' + (b % 28), DATE '2022-01-01' + (b % 28),
       CASE WHEN b % 12 = 0 THEN DATE '2022-07-01' + (b % 28) ELSE DATE '2022-02-15' END,
       NULL, 360000, 150000 + (b % 300) * 1000, b % 50 <> 0, NULL, false, now()
FROM generate_series(1, $1) b
"""
# One on-site visit a bed a day, each priced; about 1 % voided (not counted).
LOAD_VISITS = """
INSERT INTO visit_values (visit_id, version, bed_id, provider_id, service_date, service_seconds,
                          value_fen, counted)
SELECT 'v-' || b || '-' || d, 1, 'bed-' || b, 'prov-' || (b % $4), DATE '2022-07-01' + d,
       3500 + (b * 31 + d * 17) % 400, 500 + (b * 7 + d) % 1000, (b * 13 + d) % 97 <> 0
FROM generate_series($1::int, $2::int) b, generate_series(0, $3::int - 1) d
"""
FLOOR = """
CREATE TEMP TABLE floor_lines (LIKE settlement_lines INCLUDING DEFAULTS);
CREATE TEMP TABLE floor_entries (LIKE ledger_entries INCLUDING DEFAULTS);
"""
FLOOR_INDEXED = """
CREATE TABLE floor_lines (LIKE settlement_lines
    INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE TABLE floor_entries (LIKE ledger_entries
    INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
"""
FLOOR_LINES = """
INSERT INTO floor_lines (id, settlement_id, position, bed_id, elder_id, for_period, kind, rule,
                         seed, payee, amount_fen, funding, explanation)
SELECT 'ln-' || n, 'stl-' || (n % 200), n, 'bed-' || n, 'elder-' || n, '2022-07',
       'voucher_settlement', 'py-voucher', '004 §二(四)3', 'provider', n % 30000,
       'district=' || (n % 30000),
       'settled after service: min(voucher 300.00, verified services 290.10) = 290.10 yuan'
FROM generate_series(1, $1) n
"""
FLOOR_ENTRIES = """
INSERT INTO floor_entries (id, transfer_id, account_id, amount_fen, line_id)
SELECT n, 'stl-' || (n % 200), 'elder_voucher:elder-' || n, n % 30000 - 15000, 'ln-' || n
FROM generate_series(1, $1) n
"""


def progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def with_database(dsn: str, name: str) -> str:
    return dsn.rsplit("/", 1)[0] + "/" + name


def context(role: Role, sub: str, now: datetime, provider_id: str | None = None) -> RequestContext:
    principal = Principal(sub=sub, role=role, provider_id=provider_id, region_codes=(PINGYANG,))
    return RequestContext(principal=principal, now=now, request_id=None)


async def load(conn: asyncpg.Connection, beds: int, days: int) -> int:
    await conn.execute(LOAD_BEDS, beds, PROVIDERS)
    step = 10_000
    for first in range(1, beds + 1, step):
        last = min(beds, first + step - 1)
        await conn.execute(LOAD_VISITS, first, last, days, PROVIDERS)
        progress(f"loaded the visits of {last}/{beds} beds")
    # what autovacuum does after a load (statistics; the visibility map is reported: on this
    # test server VACUUM right after the load leaves it empty, so visits are read from the heap)
    for table in ("bed_facts", "visit_values"):
        await conn.execute(f"VACUUM ANALYZE {table}")
    visible = await conn.fetchrow(
        "SELECT relallvisible, relpages FROM pg_class WHERE relname = 'visit_values'"
    )
    progress(f"visit_values: {visible['relallvisible']}/{visible['relpages']} pages all-visible")
    return int(await conn.fetchval("SELECT count(*) FROM visit_values"))


async def backend_ticks(conn: asyncpg.Connection) -> dict[int, int]:
    """utime + stime (clock ticks) of every backend connected to the bench database."""
    pids = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        DATABASE,
    )
    ticks = {pid: _ticks_of(pid) for (pid,) in pids}
    return {pid: spent for pid, spent in ticks.items() if spent is not None}


def _ticks_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None  # gone (or not on this machine)
    return int(fields[11]) + int(fields[12])


class CpuClock:
    """CPU seconds of this process and of the bench database's backends, step by step."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.python = time.process_time()
        self.backends: dict[int, int] = {}

    async def start(self) -> None:
        self.python = time.process_time()
        self.backends = await backend_ticks(self.conn)

    async def lap(self, step: int) -> str:
        python = time.process_time()
        backends = await backend_ticks(self.conn)
        spent = sum(t - self.backends.get(pid, 0) for pid, t in backends.items())
        CPU_PYTHON[step] = python - self.python
        CPU_POSTGRES[step] = spent / TICKS
        self.python, self.backends = python, backends
        return f"cpu python {CPU_PYTHON[step]:.2f} s, postgres {CPU_POSTGRES[step]:.2f} s"


async def settle_all(app: object, clock: ManualClock, cpu: CpuClock) -> tuple[float, int]:
    """The county's month through the batch use cases, one transaction per step: run every
    provider's month, submit them all (one officer), approve them all (another officer), confirm
    every payment."""
    runtime = app.state.runtime  # type: ignore[attr-defined]
    profile = configured_profile(PINGYANG, CONFIGURATION)
    officer = context(Role.OFFICER, "officer-maker", clock())
    checker = context(Role.OFFICER, "officer-checker", clock())
    await cpu.start()
    started = time.perf_counter()
    ran = await settlement_batch.run_county(
        uow=runtime.uow(),
        ctx=officer,
        cmd=CountyRun(jurisdiction=PINGYANG, period=PERIOD),
        profile=profile,
    )
    ids = [s.id for s in ran.settlements]
    lines = sum(s.line_count for s in ran.settlements)
    t1 = time.perf_counter()
    progress(
        f"ran {len(ids)} settlements, {lines} lines in {t1 - started:.2f} s; {await cpu.lap(0)}"
    )
    t1 = time.perf_counter()
    await settlement_batch.submit_settlements(uow=runtime.uow(), ctx=officer, ids=ids)
    t2 = time.perf_counter()
    progress(f"submitted in {t2 - t1:.2f} s; {await cpu.lap(1)}")
    t2 = time.perf_counter()
    await settlement_batch.approve_settlements(uow=runtime.uow(), ctx=checker, ids=ids)
    t3 = time.perf_counter()
    progress(f"approved in {t3 - t2:.2f} s; {await cpu.lap(2)}")
    t3 = time.perf_counter()
    payments = [
        BatchPayment(settlement_id=s.id, payment_reference=f"PY-{n}", amount_fen=s.total_fen)
        for n, s in enumerate(ran.settlements)
    ]
    await settlement_batch.confirm_payments(
        uow=runtime.uow(), ctx=checker, cmd=PaymentBatch(payments=payments)
    )
    t4 = time.perf_counter()
    progress(f"payments confirmed in {t4 - t3:.2f} s; {await cpu.lap(3)}")
    STEPS[:] = [t1 - started, t2 - t1, t3 - t2, t4 - t3]
    return t4 - started, lines


async def floor(conn: asyncpg.Connection, lines: int, entries: int, *, indexed: bool) -> float:
    """Seconds to write `lines` lines and `entries` entries by INSERT … SELECT: into temporary
    unindexed copies (the issue's floor), or logged copies with the tables' indexes."""
    await conn.execute("DROP TABLE IF EXISTS floor_lines; DROP TABLE IF EXISTS floor_entries")
    await conn.execute(FLOOR_INDEXED if indexed else FLOOR)
    backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
    ticks = _ticks_of(backend) or 0
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute(FLOOR_LINES, lines)
        await conn.execute(FLOOR_ENTRIES, entries)
    elapsed = time.perf_counter() - started
    cpu = ((_ticks_of(backend) or 0) - ticks) / TICKS
    if not indexed:
        FLOOR_CPU[0] = cpu
    progress(
        f"floor{' (logged, indexed)' if indexed else ''}: {lines} lines + {entries} entries "
        f"by INSERT … SELECT in {elapsed:.2f} s; cpu postgres {cpu:.2f} s"
    )
    await conn.execute("DROP TABLE floor_lines; DROP TABLE floor_entries")
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:56132/postgres")
    parser.add_argument("--beds", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the settlement steps into FILE (pstats)"
    )
    args = parser.parse_args()
    admin = await asyncpg.connect(args.dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()
    url = with_database(args.dsn, DATABASE).replace("postgresql://", "postgresql+asyncpg://", 1)
    clock = ManualClock(datetime(2022, 8, 3, 2, tzinfo=UTC))
    # the gauges' refresh queries (every 30 s in service) would run inside the timed window
    quiet_gauges = {"metrics_seconds": 86_400.0, "anomaly_metrics_seconds": 86_400.0}
    app = create_app(
        subsidy_settings(url, rule_configuration=CONFIGURATION, **quiet_gauges), clock=clock
    )
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60):
        progress("service schema migrated (facts, settlements, ledger with its triggers)")
        conn = await asyncpg.connect(with_database(args.dsn, DATABASE))
        try:
            visits = await load(conn, args.beds, args.days)
            progress(f"loaded {args.beds} beds and {visits} visits")
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            if profiler is not None:
                profiler.enable()
            elapsed, lines = await settle_all(app, clock, CpuClock(conn))
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
            entries = int(await conn.fetchval("SELECT count(*) FROM ledger_entries"))
            balance = await conn.fetchval("SELECT coalesce(sum(amount_fen), 0) FROM ledger_entries")
            total = await conn.fetchval("SELECT sum(total_fen) FROM settlements")
            progress(
                f"settled {lines} lines, {entries} ledger entries (sum {balance}), "
                f"{total} fen in {elapsed:.2f} s"
            )
            if balance != 0:
                raise SystemExit("the ledger does not balance")
            # every settlement's lines digest in one: the same lines before and after a change
            lines_digest = await conn.fetchval(
                "SELECT encode(sha256(convert_to(string_agg(id || '=' || lines_digest, ',' "
                "ORDER BY id), 'UTF8')), 'hex') FROM settlements"
            )
            count = await conn.fetchval("SELECT count(*) FROM settlements")
            progress(f"lines digest of the {count} settlements: {lines_digest}")
            floor_s = await floor(conn, lines, entries, indexed=False)
            floor_indexed_s = await floor(conn, lines, entries, indexed=True)
        finally:
            await conn.close()
    if not args.keep:
        admin = await asyncpg.connect(args.dsn)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        finally:
            await admin.close()
    steps = "/".join(
        f"{python:.2f}+{pg:.2f}" for python, pg in zip(CPU_PYTHON, CPU_POSTGRES, strict=True)
    )
    print(
        f"cpu_s python+postgres run/submit/approve/pay={steps} "
        f"python={sum(CPU_PYTHON):.2f} postgres={sum(CPU_POSTGRES):.2f} "
        f"floor_cpu_s={FLOOR_CPU[0]:.2f}"
    )
    print(f"totals lines={lines} entries={entries} fen={total} lines_digest={lines_digest}")
    print(
        f"floor_indexed_s={floor_indexed_s:.2f} "
        f"ratio_to_floor_indexed={elapsed / floor_indexed_s:.2f}"
    )
    print(
        f"settlement_s={elapsed:.2f} beds={args.beds} floor_s={floor_s:.2f} "
        f"ratio={elapsed / floor_s:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
