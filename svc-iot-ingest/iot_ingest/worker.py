"""`python -m iot_ingest.worker`: the telemetry consumers (rule engine, storage) in a process of
their own, no HTTP.

Python runs one thread of bytecode per process: a rule engine chewing a backlog in the API
process would delay the alarm lane's requests. Role `worker` (settings.ROLE_DEFAULTS): the rule
engine and the storage projector, no escalation or liveness loops (those belong with the alarm
lane, whose relay and rows they share; see the README), at a lower CPU priority than the lanes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from chassis.clock import service_clock
from iot_ingest.bootstrap import create_app
from iot_ingest.settings import Settings

# One outbox relay runs at a time per database (a transaction-scoped advisory lock keeps per-key
# order), and every poll takes that lock. In a busy, lower-priority worker a poll can hold it for
# hundreds of milliseconds (descheduled, or in a GC pause), and meanwhile the alarm lane's relay
# cannot publish: with a 0.2 s poll here, make bench-alarm showed a commit-to-send p99 of 1.2 s.
# The worker's own events wake its relay at once through the in-process signal (its alarms are
# sent right after their commit anyway, chassis express), so its role polls every 30 s
# (settings.ROLE_DEFAULTS). HOMEBED_IOT_INGEST_OUTBOX_POLL_SECONDS overrides it.


def worker_settings(settings: Settings | None = None) -> Settings:
    """The settings of this process: role `worker` unless HOMEBED_IOT_INGEST_ROLE names one."""
    if settings is not None:
        return settings
    return Settings() if "HOMEBED_IOT_INGEST_ROLE" in os.environ else Settings(role="worker")


async def run_worker(settings: Settings | None = None) -> None:
    app = create_app(worker_settings(settings), clock=service_clock(), http=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with app.router.lifespan_context(app):
        await stop.wait()


def main() -> None:
    asyncio.run(run_worker())


if __name__ == "__main__":
    main()
