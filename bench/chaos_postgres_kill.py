"""Chaos E, long: PostgreSQL stopped with `pg_ctl stop -m immediate` while the chassis consumer
runner writes into it, down for `--outage` seconds, then restarted (crash recovery).

    python bench/chaos_postgres_kill.py --bootstrap HOST:PORT [--port 16732] [--events 5000]
        [--outage 10] [--data-dir DIR]

The cluster is the scenario's own (deploy/postgres/pg.sh on `--port`, synchronous_commit=on),
stopped afterwards. Prints `scenario=postgres-kill sent= acked= applied= duplicates= lost=`
with `offsets_ahead_of_db=` (events below the offsets Kafka had committed at the crash that the
recovered database lacks) and the /readyz statuses seen; exits non-zero unless all are clean.
The short variant runs in make test (shared-chassis/tests/test_chaos_postgres_kill.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile

from chassis.testing.chaos import ThrowawayPostgres, postgres_kill_scenario


async def main(args: argparse.Namespace) -> int:
    base = args.data_dir or tempfile.mkdtemp(prefix="homebed-pgkill-")
    pg = ThrowawayPostgres(os.path.join(base, "pg"), args.port)
    await pg.start(fresh=True)
    try:
        result = await postgres_kill_scenario(
            bootstrap=args.bootstrap, pg=pg, events=args.events, outage_seconds=args.outage
        )
    finally:
        await pg.stop()
        if args.data_dir is None:
            shutil.rmtree(base, ignore_errors=True)
    print(result.line(), flush=True)
    clean = result.extra["offsets_ahead_of_db"] == 0 and result.extra["readyz"] == "200-503-200"
    return 0 if result.ok and clean else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--port", type=int, default=16732)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--outage", type=float, default=10.0)
    parser.add_argument("--data-dir", default=None)
    sys.exit(asyncio.run(main(parser.parse_args())))
