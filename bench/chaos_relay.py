"""Chaos G: the outbox relay killed (SIGKILL) many times at random while events are written.

    python bench/chaos_relay.py --bootstrap HOST:PORT --dsn postgresql://... [--events 10000]
        [--kills 50] [--seed 7]

The scenario is `chassis.testing.chaos.relay_kill_scenario` (also run, short, by make test):
relays are forked from a preloaded forkserver (milliseconds per restart, not an interpreter
start), the verifying consumer stays up for the whole run and a group-less reader counts what
reached the topic. Prints `scenario=relay-kill sent= acked= applied= duplicates= lost=` and
exits non-zero unless every event was delivered and applied exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from chassis.testing.chaos import relay_kill_scenario


async def main(args: argparse.Namespace) -> int:
    result = await relay_kill_scenario(
        bootstrap=args.bootstrap,
        dsn=args.dsn,
        events=args.events,
        kills=args.kills,
        max_delay=args.max_delay,
        seed=args.seed,
    )
    print(result.line(), flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--max-delay", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "7")))
    sys.exit(asyncio.run(main(parser.parse_args())))
